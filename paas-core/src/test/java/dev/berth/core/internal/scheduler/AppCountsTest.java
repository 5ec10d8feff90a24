// Checks AppCounts against a map model under churn, and that dropped counts free their slots.
package dev.berth.core.internal.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AppCountsTest {

    @Test
    void followsAMapModelUnderChurnAndStaysSizedToTheLiveCounts() {
        AppCounts counts = new AppCounts();
        Map<List<Integer>, Integer> model = new HashMap<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 50; round++) {
            // each round a new set of apps arrives on random nodes, and the last round's leave
            int base = round * 200;
            for (int i = 0; i < 2000; i++) {
                List<Integer> key = List.of(base + random.nextInt(200), random.nextInt(1000));
                counts.increment(key.get(0), key.get(1));
                model.merge(key, 1, Integer::sum);
            }
            for (Map.Entry<List<Integer>, Integer> e : model.entrySet()) {
                if (e.getKey().get(0) < base) {
                    for (int c = e.getValue(); c > 0; c--) {
                        counts.decrement(e.getKey().get(0), e.getKey().get(1));
                    }
                    e.setValue(0);
                }
            }
            model.values().removeIf(v -> v == 0);
            for (Map.Entry<List<Integer>, Integer> e : model.entrySet()) {
                assertThat(counts.get(e.getKey().get(0), e.getKey().get(1))).isEqualTo(e.getValue());
            }
            assertThat(counts.get(base - 1, 3)).isZero();
        }
        // 50 rounds saw ~100,000 (app, node) pairs; only ~2,000 are live
        assertThat(counts.slots()).isLessThanOrEqualTo(4 * 2 * 2048);
    }

    @Test
    void refusesToTakeAwayAnInstanceThatIsNotThere() {
        AppCounts counts = new AppCounts();
        counts.increment(1, 2);
        counts.decrement(1, 2);
        assertThatThrownBy(() -> counts.decrement(1, 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> counts.decrement(3, 4)).isInstanceOf(IllegalStateException.class);
    }
}
