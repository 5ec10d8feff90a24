package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.samples.PlacementWorkloads.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PlacementWorkloadsTest {
    @TempDir
    Path dir;

    private static byte[] bytes(Workload w) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.write(out);
        return out.toByteArray();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void theSameSeedGivesTheSameWorkload(Kind kind) throws IOException {
        byte[] a = bytes(PlacementWorkloads.generate(kind, 50, 300, 7));
        byte[] b = bytes(PlacementWorkloads.generate(kind, 50, 300, 7));
        byte[] c = bytes(PlacementWorkloads.generate(kind, 50, 300, 8));

        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyKindReadsBackAndPlacesSoundly(Kind kind) throws IOException {
        Workload w = PlacementWorkloads.generate(kind, 60, 200, 3);
        Path file = dir.resolve(kind.cliName() + ".json");
        w.write(file);

        Workload back = Workload.read(file);

        assertThat(bytes(back)).isEqualTo(bytes(w));
        assertThat(back.requests()).hasSize(kind == Kind.TRIPLETS ? 198 : 200);
        assertThat(back.strategy()).isEqualTo(kind == Kind.SPREAD_2D
                ? dev.berth.spi.Scheduler.Strategy.SPREAD : dev.berth.spi.Scheduler.Strategy.PACK);
        PlacementBench.Result r = PlacementBench.measure(back, 0, 1);
        assertThat(r.assignments().size() + r.unplaced().size()).isEqualTo(back.requests().size());
    }

    @Test
    void tripletsFillTheirBinsExactly() {
        Workload w = PlacementWorkloads.generate(Kind.TRIPLETS, 400, 900, 11);
        Map<String, double[]> bins = new HashMap<>();
        Map<String, Integer> counts = new HashMap<>();
        for (Workload.Request r : w.requests()) {
            double item = r.demand()[0];
            assertThat(item).isGreaterThan(250).isLessThan(500);
            String bin = r.id().substring(0, r.id().indexOf('-'));
            bins.computeIfAbsent(bin, k -> new double[1])[0] += item;
            counts.merge(bin, 1, Integer::sum);
        }
        assertThat(bins).hasSize(300);
        assertThat(counts.values()).containsOnly(3);
        assertThat(bins.values()).allSatisfy(sum -> assertThat(sum[0]).isEqualTo(PlacementWorkloads.CAPACITY_1D));
        assertThat(w.nodes()).allSatisfy(n -> assertThat(n.capacity()).containsExactly(1000.0));
        // shuffled: the three items of a bin are not simply adjacent
        assertThat(w.requests().get(0).id().substring(0, 3)).isNotEqualTo(w.requests().get(1).id().substring(0, 3));
    }

    @Test
    void constrainedWorkloadsCarryEveryConstraintAndZones() {
        Workload w = PlacementWorkloads.generate(Kind.CONSTRAINED_2D, 100, 3000, 1);

        assertThat(w.requests()).anySatisfy(r -> assertThat(r.constraints()).contains(new Workload.UniqueHost()));
        assertThat(w.requests()).anySatisfy(r -> assertThat(r.constraints()).hasAtLeastOneElementOfType(Workload.MaxPerNode.class));
        assertThat(w.requests()).anySatisfy(r -> assertThat(r.constraints()).hasAtLeastOneElementOfType(Workload.Label.class));
        assertThat(w.nodes()).allSatisfy(n -> assertThat(n.labels()).containsKey("zone"));
        assertThat(w.requests().stream().map(Workload.Request::app).distinct().count()).isBetween(200L, 300L);
    }

    @Test
    void theCommandLineWritesTheFileAndRejectsAnUnknownKind() throws IOException {
        Path file = dir.resolve("w.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        PrintStream errs = new PrintStream(err, true, StandardCharsets.UTF_8);

        assertThat(PlacementWorkloads.run(new String[] {"--kind", "uniform-1d", "--nodes", "5", "--requests", "9",
            "--seed", "2", "--out", file.toString()}, out, errs)).isZero();
        assertThat(Workload.read(file).requests()).hasSize(9);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes(PlacementWorkloads.generate(Kind.UNIFORM_1D, 5, 9, 2)));

        assertThat(PlacementWorkloads.run(new String[] {"--kind", "huge", "--nodes", "5", "--requests", "9",
            "--out", file.toString()}, out, errs)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--kind", "huge", "uniform-1d", "triplets");
    }
}
