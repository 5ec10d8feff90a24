package dev.berth.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.samples.PlacementWorkloads.Kind;
import dev.berth.samples.Workload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FenzoComparisonTest {

    @Test
    void bothPlaceSmallWorkloadsOfEveryKindSoundly() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<FenzoComparison.Case> cases = List.of(
                new FenzoComparison.Case(Kind.UNIFORM_1D, 60, 40),
                new FenzoComparison.Case(Kind.SKEWED_1D, 60, 20),
                new FenzoComparison.Case(Kind.MIXED_2D, 90, 30),
                new FenzoComparison.Case(Kind.CONSTRAINED_2D, 300, 30),
                new FenzoComparison.Case(Kind.TRIPLETS, 30, 15));

        List<FenzoComparison.Row> rows = FenzoComparison.run(cases, 1, 1, new PrintStream(bytes, true, StandardCharsets.UTF_8));

        assertThat(rows).hasSize(cases.size());
        for (FenzoComparison.Row row : rows) {
            int requests = row.workload().kind() == Kind.TRIPLETS ? 30 : row.workload().requests();
            assertThat(row.berth().placed() + row.berth().unplaced()).isEqualTo(requests);
            assertThat(row.fenzo().placed() + row.fenzo().unplaced()).isEqualTo(requests);
            assertThat(row.fenzo().placed()).as(row.workload().toString()).isPositive();
            assertThat(row.fenzo().nodesUsed()).isGreaterThanOrEqualTo(row.lowerBound());
            assertThat(row.berth().nodesUsed()).isGreaterThanOrEqualTo(row.lowerBound());
        }
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("workload", "speedup", "uniform-1d:60:40", "constrained-2d:300:30", "triplets:30:15");
    }

    @Test
    void fenzoKeepsTheConstraintsThroughTheAdapters() {
        Workload w = Workload.parse("""
                {"dimensions": ["cpu", "memoryMb"],
                 "nodes": [{"id": "a1", "capacity": [16, 65536], "labels": {"zone": "a"}},
                           {"id": "a2", "capacity": [16, 65536], "labels": {"zone": "a"}},
                           {"id": "b1", "capacity": [16, 65536], "labels": {"zone": "b"}}],
                 "requests": [
                   {"id": "u0", "app": "u", "demand": [1, 1024], "constraints": [{"type": "uniqueHost"}]},
                   {"id": "u1", "app": "u", "demand": [1, 1024], "constraints": [{"type": "uniqueHost"}]},
                   {"id": "u2", "app": "u", "demand": [1, 1024], "constraints": [{"type": "uniqueHost"}]},
                   {"id": "u3", "app": "u", "demand": [1, 1024], "constraints": [{"type": "uniqueHost"}]},
                   {"id": "m0", "app": "m", "demand": [1, 1024], "constraints": [{"type": "maxPerNode", "value": 2},
                      {"type": "label", "key": "zone", "value": "b"}]},
                   {"id": "m1", "app": "m", "demand": [1, 1024], "constraints": [{"type": "maxPerNode", "value": 2},
                      {"type": "label", "key": "zone", "value": "b"}]},
                   {"id": "m2", "app": "m", "demand": [1, 1024], "constraints": [{"type": "maxPerNode", "value": 2},
                      {"type": "label", "key": "zone", "value": "b"}]},
                   {"id": "big", "app": "big", "demand": [17, 1024]}]}
                """);

        // fenzo() checks the placement (capacity, uniqueHost, maxPerNode, label) and throws if broken
        FenzoComparison.Side fenzo = FenzoComparison.fenzo(w, 1);

        // u: one per host (3 of 4); m: two on b1 (2 of 3); big fits nowhere
        assertThat(fenzo.placed()).isEqualTo(5);
        assertThat(fenzo.unplaced()).isEqualTo(3);
        assertThat(fenzo.nodesUsed()).isEqualTo(3);
    }
}
