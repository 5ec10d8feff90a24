// EventBus: events reach listeners in order, a failing listener stops no other, and a closed bus drops events quietly.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.berth.api.PlatformEvent;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** {@link EventBus} on its own thread. */
class EventBusTest {
    private static PlatformEvent started(String app) {
        return new PlatformEvent.AppDeployed(Instant.parse("2026-12-06T00:00:00Z"), app, "r1");
    }

    @Test
    void deliversInOrderPastAFailingListenerAndDropsWhatComesAfterClose() {
        List<String> seen = new CopyOnWriteArrayList<>();
        EventBus bus = new EventBus();
        bus.add(e -> {
            throw new IllegalStateException("a listener that fails");
        });
        bus.add(e -> seen.add(e.app()));
        bus.publish(started("a"));
        bus.publish(started("b"));

        bus.close(); // delivers what was published, then stops

        assertThat(seen).containsExactly("a", "b");
        assertThatCode(() -> bus.publish(started("late"))).as("a backend's late output after close").doesNotThrowAnyException();
        assertThat(seen).containsExactly("a", "b");
    }
}
