package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlacementBenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String TINY = """
            {"dimensions": ["cpu", "memMb"], "strategy": "pack",
             "nodes": [
               {"id": "n1", "capacity": [4.0, 8192], "labels": {"zone": "a"}},
               {"id": "n2", "capacity": [4.0, 8192], "labels": {"zone": "b"}}],
             "requests": [
               {"id": "web-0", "app": "web", "demand": [0.5, 512], "constraints": [{"type": "uniqueHost"}]},
               {"id": "web-1", "app": "web", "demand": [0.5, 512], "constraints": [{"type": "uniqueHost"}]},
               {"id": "db-0", "app": "db", "demand": [2.0, 4096],
                "constraints": [{"type": "label", "key": "zone", "value": "a"}, {"type": "maxPerNode", "value": 2}]},
               {"id": "x-9", "app": "x", "demand": [64.0, 1024]}]}
            """;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return PlacementBench.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void placesATinyWorkloadEndToEnd() throws IOException {
        Path workload = Files.writeString(dir.resolve("tiny.json"), TINY);
        Path result = dir.resolve("out/result.json");

        assertThat(run(workload.toString(), "--out", result.toString())).as(stderr()).isZero();

        JsonNode r = JSON.readTree(result.toFile());
        List<String> fields = new ArrayList<>();
        r.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("assignments", "unplaced", "placeNanosMedian", "repetitions");
        assertThat(r.get("repetitions").asInt()).isGreaterThanOrEqualTo(5);
        assertThat(r.get("placeNanosMedian").isIntegralNumber()).isTrue();
        assertThat(r.get("placeNanosMedian").asLong()).isPositive();
        JsonNode a = r.get("assignments");
        assertThat(a.size()).isEqualTo(3);
        assertThat(a.get("db-0").asText()).isEqualTo("n1");
        assertThat(a.get("web-0").asText()).isIn("n1", "n2");
        assertThat(a.get("web-1").asText()).isIn("n1", "n2").isNotEqualTo(a.get("web-0").asText());
        JsonNode u = r.get("unplaced");
        assertThat(u.size()).isEqualTo(1);
        assertThat(u.get("x-9").asText()).contains("cpu");
        assertThat(stdout()).contains("tiny.json:", "requests=4", "nodes=2", "placed=3", "unplaced=1", "used=2",
                "lb=1(cpu=1,memMb=1)", "median=", "rate=");
    }

    @Test
    void withoutOutTheResultGoesToStdoutAndTheSummaryToStderr() throws IOException {
        Path workload = Files.writeString(dir.resolve("tiny.json"), TINY);

        assertThat(run(workload.toString())).isZero();

        JsonNode r = JSON.readTree(stdout());
        assertThat(r.get("assignments").size()).isEqualTo(3);
        assertThat(stderr()).contains("placed=3");
    }

    @Test
    void aMissingFileIsBadInput() {
        assertThat(run(dir.resolve("nope.json").toString())).isEqualTo(PlacementBench.BAD_INPUT);
        assertThat(stderr()).contains("nope.json", "does not exist");
    }

    @Test
    void badJsonIsBadInputWithTheLine() throws IOException {
        Path workload = Files.writeString(dir.resolve("bad.json"), "{\"dimensions\": [\"cpu\"],\n \"nodes\": [}");

        assertThat(run(workload.toString())).isEqualTo(PlacementBench.BAD_INPUT);
        assertThat(stderr()).contains("bad.json", "not valid JSON", "line 2");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"constraints\": [{\"type\": \"zone\"}]|requests[0].constraints[0].type|one of uniqueHost, maxPerNode, label",
        "\"constraints\": [{\"type\": \"maxPerNode\", \"value\": 0}]|requests[0].constraints[0].value|an integer from 1",
        "\"constraints\": [{\"type\": \"label\", \"key\": \"zone\"}]|requests[0].constraints[0].value|a non-empty string",
    })
    void aBadConstraintNamesTheField(String constraints, String field, String allowed) throws IOException {
        Path workload = Files.writeString(dir.resolve("w.json"), """
                {"dimensions": ["cpu"], "strategy": "pack", "nodes": [{"id": "n1", "capacity": [4]}],
                 "requests": [{"id": "r0", "app": "a", "demand": [1], %s}]}
                """.formatted(constraints));

        assertThat(run(workload.toString())).isEqualTo(PlacementBench.BAD_INPUT);
        assertThat(stderr()).contains("w.json", field, allowed);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[4]|[1, 2]|requests[0].demand|2 values given; 1 needed",
        "[4, 1]|[1]|nodes[0].capacity|2 values given; 1 needed",
        "[-4]|[1]|nodes[0].capacity[0]|a finite number >= 0",
    })
    void aDimensionMismatchNamesTheField(String capacity, String demand, String field, String allowed) throws IOException {
        Path workload = Files.writeString(dir.resolve("w.json"), """
                {"dimensions": ["cpu"], "nodes": [{"id": "n1", "capacity": %s}],
                 "requests": [{"id": "r0", "app": "a", "demand": %s}]}
                """.formatted(capacity, demand));

        assertThat(run(workload.toString())).isEqualTo(PlacementBench.BAD_INPUT);
        assertThat(stderr()).contains(field, allowed);
    }

    @Test
    void otherBadFieldsAreNamed() {
        assertThat(badField("{\"dimensions\": [], \"nodes\": [], \"requests\": []}")).contains("dimensions", "1 to 4");
        assertThat(badField("{\"dimensions\": [\"cpu\"], \"strategy\": \"fast\", \"nodes\": [], \"requests\": []}"))
                .contains("strategy", "pack or spread");
        assertThat(badField("{\"dimensions\": [\"cpu\"], \"requests\": []}")).contains("nodes", "an array");
        assertThat(badField("{\"dimensions\": [\"cpu\"], \"nodes\": [{\"id\": \"n 1\", \"capacity\": [1]}], \"requests\": []}"))
                .contains("nodes[0].node.id");
        assertThat(badField("{\"dimensions\": [\"cpu\"], \"nodes\": [], \"requests\": [{\"id\": \"r\", \"demand\": [1]}]}"))
                .contains("requests[0].app");
    }

    private String badField(String json) {
        try {
            Workload.parse(json);
        } catch (dev.berth.api.InvalidSpecException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void theCheckerFindsBrokenPlacements() {
        Workload w = Workload.parse(TINY);

        assertThat(PlacementCheck.violations(w, Map.of("web-0", "n1", "web-1", "n2", "db-0", "n1"), Map.of("x-9", "too big")))
                .isEmpty();
        assertThat(PlacementCheck.violations(w, Map.of("web-0", "n1", "web-1", "n1", "db-0", "n2", "x-9", "n1"), Map.of()))
                .anySatisfy(p -> assertThat(p).contains("node n1 is over capacity in cpu"))
                .anySatisfy(p -> assertThat(p).contains("holds 2 of app web"))
                .anySatisfy(p -> assertThat(p).contains("needs label zone=a"));
        assertThat(PlacementCheck.violations(w, Map.of("web-0", "n1"), Map.of("web-0", "r", "zzz", "r")))
                .anySatisfy(p -> assertThat(p).contains("web-0 is both assigned"))
                .anySatisfy(p -> assertThat(p).contains("web-1 is neither"))
                .anySatisfy(p -> assertThat(p).contains("unknown request zzz"));
    }
}
