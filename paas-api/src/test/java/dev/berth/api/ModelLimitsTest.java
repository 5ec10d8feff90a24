package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Numbers and sizes of the model have ceilings, with messages naming the app, the field and the limit. */
class ModelLimitsTest {
    private static AppSpec.Builder web() {
        return AppSpec.builder("web").command("sleep", "100");
    }

    @Test
    void resourceAmountsHaveACeilingSoBackendsCanConvertThem() {
        assertThatThrownBy(() -> web().resources(Resources.of(1e10, 64)))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessage("app 'web': resources.cpu: '1.0E10' is not allowed; must be a finite number from 0 to 1000000000");
        assertThatThrownBy(() -> new AppSpec("web", Source.none(), List.of(), List.of("x"), Map.of(), Instances.of(1),
                Resources.builder().memoryMb(Double.MAX_VALUE).build(), Routing.none(), HealthCheck.none(),
                RestartPolicy.defaults(), Constraints.none()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("app 'web': resources.memoryMb");
        assertThatThrownBy(() -> NodeSpec.of("n1", Resources.of(Map.of("gpu", 2e9))))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("node.capacity.gpu");
        assertThat(web().resources(Resources.of(Resources.MAX_AMOUNT, Resources.MAX_AMOUNT)).build().resources().get("cpu"))
                .isEqualTo(1e9);
        // sums of many allocations may exceed the ceiling: they are not asks
        Resources big = Resources.of(Resources.MAX_AMOUNT, 1);
        assertThat(big.plus(big).get("cpu")).isEqualTo(2e9);
    }

    @Test
    void anArgvListHasAtMost4096ArgumentsOf128KiB() {
        List<String> many = new ArrayList<>(List.of("echo"));
        IntStream.range(0, 4096).forEach(i -> many.add("x"));
        assertThatThrownBy(() -> web().command(many)).isInstanceOf(InvalidSpecException.class)
                .hasMessage("app 'web': command: '4097 arguments' is not allowed; must have at most 4096 arguments");
        String big = "é".repeat(65_536); // 131,072 bytes in UTF-8
        assertThatThrownBy(() -> web().setup("echo", big)).isInstanceOf(InvalidSpecException.class)
                .hasMessage("app 'web': setup[1]: '131072 bytes' is not allowed; must be at most 131071 bytes (UTF-8)");
        assertThat(web().command("echo", "x".repeat(131_071)).build().command()).hasSize(2);
    }

    @Test
    void theEnvHasAtMost4096EntriesOf128KiBAndNeverEchoesAValue() {
        Map<String, String> many = new LinkedHashMap<>();
        IntStream.range(0, 4097).forEach(i -> many.put("K" + i, "v"));
        assertThatThrownBy(() -> web().env(many)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("env: '4097 entries' is not allowed; must have at most 4096 entries");
        String secret = "s3cret".repeat(30_000);
        assertThatThrownBy(() -> web().env("TOKEN", secret)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("env.TOKEN").hasMessageContaining("at most 131071 bytes")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void anArgvListAndTheEnvTogetherFitInOneMebibyte() {
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            env.put("V" + i, "s3cret".repeat(20_000)); // 8 × 120,004 bytes with key, '=' and NUL
        }
        AppSpec.Builder b = web().env(env);
        assertThat(b.build().env()).hasSize(8);
        assertThatThrownBy(() -> b.command("echo", "y".repeat(100_000)).build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("app 'web': command: '1060038 bytes with the env' is not allowed")
                .hasMessageContaining("at most 1048576 bytes").hasMessageNotContaining("s3cret");
    }

    @Test
    void anAppHasAtMost1000DomainsAndAHugeListIsRefusedAtOnce() {
        List<String> domains = IntStream.range(0, 1001).mapToObj(i -> "d" + i + ".example.com").toList();
        assertThatThrownBy(() -> new Routing(domains, Balance.LEAST_CONN)).isInstanceOf(InvalidSpecException.class)
                .hasMessage("routing.domains: '1001 domains' is not allowed; must have at most 1000 domains");
        assertThat(new Routing(domains.subList(0, 1000), Balance.LEAST_CONN).domains()).hasSize(1000);
        List<String> huge = IntStream.range(0, 1_000_000).mapToObj(i -> "d" + i + ".example.com").toList();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new Routing(huge, Balance.LEAST_CONN)).isInstanceOf(InvalidSpecException.class);
        assertThat(System.nanoTime() - t0).isLessThan(1_000_000_000L);
    }

    @Test
    void nodesAndConstraintsHaveAtMost64Labels() {
        Map<String, String> labels = new LinkedHashMap<>();
        IntStream.range(0, 65).forEach(i -> labels.put("l" + i, "v"));
        assertThatThrownBy(() -> new NodeSpec("n1", Resources.none(), labels)).isInstanceOf(InvalidSpecException.class)
                .hasMessage("node.labels: '65 labels' is not allowed; must have at most 64 labels");
        assertThatThrownBy(() -> Constraints.none().withNodeLabels(labels)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("constraints.nodeLabels");
    }
}
