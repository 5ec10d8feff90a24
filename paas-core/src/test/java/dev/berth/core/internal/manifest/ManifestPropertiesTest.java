package dev.berth.core.internal.manifest;

import static dev.berth.core.internal.manifest.SpecGen.between;
import static dev.berth.core.internal.manifest.SpecGen.pick;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;
import dev.berth.core.Manifests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/** Properties of the codecs: valid specs round-trip exactly; corrupted ones are rejected by field. */
class ManifestPropertiesTest {
    private static final int EXAMPLES = 300;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void treesRoundTrip() {
        qt().withExamples(EXAMPLES).forAll(SpecGen.SPECS)
                .checkAssert(spec -> assertThat(SpecCodec.fromTree(spec.name(), SpecCodec.toTree(spec))).isEqualTo(spec));
    }

    @Test
    void yamlRoundTrips() {
        qt().withExamples(EXAMPLES).forAll(SpecGen.SPEC_LISTS).checkAssert(specs -> {
            String yaml = Manifests.toYaml(specs);
            assertThat(Manifests.parseYaml(yaml, "gen.yml", null)).as(yaml).isEqualTo(specs);
        });
    }

    @Test
    void makoJsonRoundTrips() {
        qt().withExamples(EXAMPLES).forAll(SpecGen.MAKO_SPEC_LISTS).checkAssert(specs -> {
            String json = Manifests.toMakoJson(specs);
            assertThat(Manifests.parseMakoJson(json, "gen.json")).as(json).isEqualTo(specs);
        });
    }

    @Test
    void durationsRoundTripInTheirShortestForm() {
        qt().withExamples(EXAMPLES).forAll(in -> SpecGen.duration(in, 0)).checkAssert(d -> {
            String text = Durations.format(d);
            assertThat(Durations.parse(text)).isEqualTo(d);
            assertThat(Durations.parse(d.toString())).isEqualTo(d);
        });
        assertThat(Durations.format(java.time.Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(java.time.Duration.ofMinutes(120))).isEqualTo("2h");
        assertThat(Durations.format(java.time.Duration.ofMillis(1500))).isEqualTo("1500ms");
    }

    /** A valid app tree with one field corrupted, and the field the error must name. */
    record Corrupted(String name, Map<String, Object> tree, String field, String what) {
        @Override
        public String toString() {
            return what + " -> " + field + " in " + name + " " + tree;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sub(Map<String, Object> tree, String key) {
        Object o = tree.get(key);
        if (!(o instanceof Map)) {
            o = new LinkedHashMap<String, Object>();
            tree.put(key, o);
        }
        return (Map<String, Object>) o;
    }

    private static final List<Function<RandomnessSource, Object>> WRONG_TYPES = List.of(
            in -> "three", in -> List.of(1, 2), in -> Map.of("a", 1), in -> true);

    /** Corruptions of a Berth app tree. */
    static final Gen<Corrupted> CORRUPTED = in -> {
        AppSpec spec = SpecGen.SPECS.generate(in);
        Map<String, Object> t = SpecCodec.toTree(spec);
        String name = spec.name();
        switch (between(in, 0, 9)) {
            case 0 -> {
                return new Corrupted(pick(in, List.of("Web", "-web", "web-", "a_b", "a.b", "x".repeat(64), "ü")), t, "name", "bad name");
            }
            case 1 -> {
                String key = pick(in, List.of("1A", "A-B", "A B", "", "É", "a.b"));
                sub(t, "env").put(key, "x");
                return new Corrupted(name, t, "env", "bad env key " + key);
            }
            case 2 -> {
                Object n = pick(in, List.of(-1L, -2L, (long) -between(in, 1, 1_000_000), 10_001L,
                        (long) between(in, 10_001, Integer.MAX_VALUE), 99_999_999_999L, 2.5, "-"));
                t.put("instances", n);
                return new Corrupted(name, t, "instances", "bad instances " + n);
            }
            case 3 -> {
                String d = pick(in, List.of("a;b.com", "a b.com", "{x}.com", "Web.com", "-a.com", "a..b", "a/b", "", "x;return 444"));
                sub(t, "routing").put("domains", List.of(d));
                return new Corrupted(name, t, "routing.domains", "bad domain " + d);
            }
            case 4 -> {
                String m = pick(in, List.of("fastest", "LEAST_CONN", "", "least conn", "random"));
                sub(t, "routing").put("method", m);
                return new Corrupted(name, t, "routing.method", "bad method " + m);
            }
            case 5 -> {
                String field = pick(in, List.of("healthCheck.interval", "healthCheck.timeout", "healthCheck.gracePeriod",
                        "restart.initialDelay", "restart.maxDelay", "restart.resetAfter"));
                Object bad = pick(in, List.of("5 sec", "5", "1y", "s", "-5s", "P", "5.5s", "fast", 5L, List.of("5s")));
                String[] parts = field.split("\\.");
                if (parts[0].equals("healthCheck")) {
                    Map<String, Object> hc = new LinkedHashMap<>();
                    hc.put("type", "tcp");
                    hc.put("interval", "1h");
                    t.put("healthCheck", hc);
                    sub(t, "env").put("PORT", "RANDOM_PORT");
                } else {
                    t.remove("restart");
                }
                sub(t, parts[0]).put(parts[1], bad);
                if (field.equals("healthCheck.interval") && "-5s".equals(bad)) {
                    sub(t, parts[0]).put("timeout", "1s");
                }
                return new Corrupted(name, t, field, "bad duration " + bad);
            }
            case 6 -> {
                String dim = pick(in, List.of("cpu", "memoryMb", "load", "gpu"));
                Object bad = pick(in, List.of(-1L, -0.5, Double.NaN, Double.POSITIVE_INFINITY, "half", List.of(1)));
                sub(t, "resources").put(dim, bad);
                return new Corrupted(name, t, "resources." + dim, "bad amount " + bad);
            }
            case 7 -> {
                String parent = pick(in, List.of("", "healthCheck", "restart", "constraints", "routing", "source"));
                String key = pick(in, List.of("colour", "replicas", "Instances", "cmd", "retries"));
                if (parent.isEmpty()) {
                    t.put(key, "blue");
                    return new Corrupted(name, t, key, "unknown field " + key);
                }
                Map<String, Object> m = sub(t, parent);
                if (parent.equals("healthCheck")) {
                    m.put("type", "none");
                }
                if (parent.equals("source")) {
                    m.clear();
                    m.put("image", "busybox");
                }
                m.put(key, "blue");
                return new Corrupted(name, t, parent + "." + key, "unknown field " + parent + "." + key);
            }
            case 8 -> {
                String field = pick(in, List.of("instances", "command", "setup", "env", "resources", "routing", "healthCheck",
                        "restart", "constraints", "source"));
                Object bad = field.equals("instances") ? pick(in, List.of("three", List.of(1), true, Map.of("n", 1)))
                        : pick(in, List.of("node server.js", 5L, true));
                t.put(field, bad);
                return new Corrupted(name, t, field, "wrong type " + bad);
            }
            default -> {
                String field = pick(in, List.of("constraints.uniqueHost", "constraints.maxPerNode",
                        "healthCheck.maxConsecutiveFailures", "restart.multiplier", "routing.domains", "constraints.nodeLabels"));
                String[] parts = field.split("\\.");
                Object bad = WRONG_TYPES.get(between(in, 0, WRONG_TYPES.size() - 1)).apply(in);
                if (field.equals("routing.domains") && bad instanceof List) {
                    bad = "web.example.com";
                }
                if (field.equals("constraints.nodeLabels") && bad instanceof Map) {
                    bad = "zone=a";
                }
                if (field.equals("constraints.uniqueHost") && bad instanceof Boolean) {
                    bad = 1L;
                }
                if (parts[0].equals("healthCheck")) {
                    t.put("healthCheck", new LinkedHashMap<>(Map.of("type", "none")));
                }
                sub(t, parts[0]).put(parts[1], bad);
                return new Corrupted(name, t, field, "wrong type " + bad);
            }
        }
    };

    @Test
    void corruptedTreesAreRejectedNamingTheField() {
        qt().withExamples(EXAMPLES).forAll(CORRUPTED).checkAssert(c -> assertThatThrownBy(() -> SpecCodec.fromTree(c.name(), c.tree()))
                .as(c.toString())
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(c.field())
                .satisfies(e -> assertThat(((InvalidSpecException) e).field()).startsWith(c.field())));
    }

    @Test
    void corruptedYamlManifestsAreRejectedNamingFileLineAndField() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        Yaml yaml = new Yaml(options);
        qt().withExamples(EXAMPLES).forAll(CORRUPTED).checkAssert(c -> {
            Map<String, Object> apps = new LinkedHashMap<>();
            apps.put("other", Map.of("command", List.of("x")));
            apps.put(c.name(), c.tree());
            String text = yaml.dump(Map.of("apps", apps));
            assertThatThrownBy(() -> Manifests.parseYaml(text, "apps/gen.yml", null))
                    .as(c + "\n" + text)
                    .isInstanceOf(InvalidSpecException.class)
                    .hasMessageStartingWith("apps/gen.yml line ")
                    .hasMessageContaining(c.field());
        });
    }

    /** Corruptions of a Mako app tree, with the Mako field the error must name. */
    static final Gen<Corrupted> CORRUPTED_MAKO = in -> {
        AppSpec spec = SpecGen.MAKO_SPECS.generate(in);
        Map<String, Object> t;
        try {
            t = JSON.readValue(MakoManifest.write(List.of(spec)), new TypeReference<Map<String, Map<String, Object>>>() { })
                    .get(spec.name());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        String name = spec.name();
        switch (between(in, 0, 8)) {
            case 0 -> {
                Object n = pick(in, List.of(-1L, 10_001L, 99_999_999_999L, "all", "**", 1.5, List.of()));
                t.put("instances", n);
                return new Corrupted(name, t, "instances", "bad instances " + n);
            }
            case 1 -> {
                Object load = pick(in, List.of(-1L, -0.5, "heavy", List.of(1)));
                t.put("load", load);
                return new Corrupted(name, t, "load", "bad load " + load);
            }
            case 2 -> {
                Object d = pick(in, List.of("a;b.com", "a b.com", "{x}.com", "UP.com", List.of("a.com")));
                sub(t, "routing").put("domain", d);
                sub(sub(t, "opts"), "env").put("PORT", "RANDOM_PORT");
                return new Corrupted(name, t, "routing.domain", "bad domain " + d);
            }
            case 3 -> {
                String m = pick(in, List.of("fastest", "least-conn", "IP_HASH", ""));
                sub(t, "routing").put("method", m);
                return new Corrupted(name, t, "routing.method", "bad method " + m);
            }
            case 4 -> {
                Object commit = pick(in, List.of("master", "ABCDEF1", "abc", "8b72433 ", List.of("8b72433"), Map.of("sha", "8b72433"), true));
                sub(t, "opts").put("commit", commit);
                return new Corrupted(name, t, "opts.commit", "bad commit " + commit);
            }
            case 5 -> {
                String key = pick(in, List.of("1A", "A-B", "", "A B"));
                sub(sub(t, "opts"), "env").put(key, "x");
                return new Corrupted(name, t, "opts.env", "bad env key " + key);
            }
            case 6 -> {
                String parent = pick(in, List.of("", "opts", "routing"));
                String key = pick(in, List.of("memory", "domains", "cwd", "Instances"));
                Map<String, Object> m = parent.isEmpty() ? t : sub(t, parent);
                m.put(key, 1L);
                return new Corrupted(name, t, parent.isEmpty() ? key : parent + "." + key, "unknown field");
            }
            case 7 -> {
                String field = pick(in, List.of("setup", "command", "env"));
                sub(t, "opts").put(field, pick(in, List.of("node server.js", 5L)));
                return new Corrupted(name, t, "opts." + field, "wrong type");
            }
            default -> {
                String field = pick(in, List.of("routing", "opts"));
                t.put(field, pick(in, List.of("x", new ArrayList<>(List.of(1L)))));
                return new Corrupted(name, t, field, "wrong type");
            }
        }
    };

    @Test
    void corruptedMakoManifestsAreRejectedNamingFileLineAndField() {
        qt().withExamples(EXAMPLES).forAll(CORRUPTED_MAKO).checkAssert(c -> {
            String json;
            try {
                json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(Map.of(c.name(), c.tree()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            assertThatThrownBy(() -> Manifests.parseMakoJson(json, "mako/gen.json"))
                    .as(c + "\n" + json)
                    .isInstanceOf(InvalidSpecException.class)
                    .hasMessageStartingWith("mako/gen.json line ")
                    .hasMessageContaining(c.field());
        });
    }
}
