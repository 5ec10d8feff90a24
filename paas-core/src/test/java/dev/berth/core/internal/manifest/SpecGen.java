package dev.berth.core.internal.manifest;

import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.berth.api.AppSpec;
import dev.berth.api.Balance;
import dev.berth.api.Constraints;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instances;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.RouteSettings;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.api.Tls;
import dev.berth.api.UpdateStrategy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/** QuickTheories generators of valid {@link AppSpec}s, including YAML's awkward scalars. */
final class SpecGen {
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String TEXT_CHARS = "aZ09 -_:#'\"{}[],&*!|>%@`~?=.\t\né日€\\/";
    private static final List<String> AWKWARD = List.of("", " ", "yes", "no", "on", "off", "true", "null", "~", "*", "0755",
            "1e3", "0x1F", "12", "-3", "1.5", ".inf", "- a", "a: b", "#x", "'q'", "\"dq\"", "@at", "`b`", "%p", "&a", "!t",
            "2024-01-01", "RANDOM_PORT", "line1\nline2", "tab\there", " lead", "trail ", "ünï", "<<");
    private static final List<String> IMAGES = List.of("busybox", "team/web:1.2", "registry:5000/team/web:1.2",
            "a.b-c/d_e/f:Tag_1.0", "nginx@sha256:" + "0123456789abcdef".repeat(4));
    private static final List<String> PATHS = List.of("/", "/health", "/a/b?c=d&e=f", "/~user/x.y", "/%20");
    private static final List<String> DIMENSIONS = List.of(Resources.CPU, Resources.MEMORY_MB, Resources.LOAD, "gpu", "disk_GB");

    private SpecGen() {
    }

    static int between(RandomnessSource in, int lo, int hi) {
        return integers().between(lo, hi).generate(in);
    }

    static <T> T pick(RandomnessSource in, List<T> xs) {
        return xs.get(between(in, 0, xs.size() - 1));
    }

    static boolean coin(RandomnessSource in) {
        return booleans().all().generate(in);
    }

    static String word(RandomnessSource in, String alphabet, int min, int max) {
        int n = between(in, min, max);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(between(in, 0, alphabet.length() - 1)));
        }
        return sb.toString();
    }

    static String name(RandomnessSource in) {
        String s = word(in, LOWER, 1, 10);
        return coin(in) ? s : s + "-" + word(in, LOWER, 1, 5);
    }

    static String text(RandomnessSource in) {
        return coin(in) ? pick(in, AWKWARD) : word(in, TEXT_CHARS, 0, 8);
    }

    static List<String> argv(RandomnessSource in, int min) {
        int n = between(in, min, 3);
        List<String> argv = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String arg = text(in);
            argv.add(i == 0 && arg.isBlank() ? "prog" : arg);
        }
        return argv;
    }

    static String envKey(RandomnessSource in) {
        return word(in, "ABCXYZ_abc", 1, 1) + word(in, "ABCXYZ_abc019", 0, 6);
    }

    static String domain(RandomnessSource in) {
        return word(in, LOWER, 1, 8) + "." + pick(in, List.of("com", "example.org", "a-b.net", "x"));
    }

    static double amount(RandomnessSource in) {
        return switch (between(in, 0, 4)) {
            case 0 -> 0.0;
            case 1 -> between(in, 0, 100_000);
            case 2 -> pick(in, List.of(0.5, 0.25, 1e-5, 123.456, Resources.MAX_AMOUNT, Double.MIN_VALUE, -0.0));
            default -> doubles().between(0, 1e6).generate(in);
        };
    }

    static Duration duration(RandomnessSource in, long minNanos) {
        long nanos = switch (between(in, 0, 3)) {
            case 0 -> between(in, 0, 3600) * 1_000_000_000L;
            case 1 -> between(in, 0, 600_000) * 1_000_000L;
            case 2 -> between(in, 0, 1000) * 60_000_000_000L;
            default -> longs().between(0, 3_600_000_000_000L).generate(in);
        };
        return Duration.ofNanos(Math.max(nanos, minNanos));
    }

    /** A duration from {@code min} to {@code max}: a generated one, clamped. */
    static Duration duration(RandomnessSource in, Duration min, Duration max) {
        Duration d = duration(in, 0);
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    static Source source(RandomnessSource in, String name) {
        return switch (between(in, 0, 4)) {
            case 0 -> Source.none();
            case 1 -> Source.directory(Path.of("/srv", word(in, LOWER + "._-", 1, 8), word(in, LOWER, 1, 4)));
            case 2 -> new Source.Git(coin(in) ? name : "https://git.example.com/" + word(in, LOWER, 1, 6) + ".git",
                    coin(in) ? null : word(in, "0123456789abcdef", between(in, 7, 40), 40), true);
            case 3 -> Source.git(coin(in) ? name : "https://git.example.com/" + word(in, LOWER, 1, 6) + ".git",
                    word(in, "0123456789abcdef", between(in, 7, 40), 40));
            default -> Source.image(pick(in, IMAGES));
        };
    }

    static HealthCheck healthCheck(RandomnessSource in) {
        if (coin(in)) {
            return HealthCheck.none();
        }
        HealthCheck.Type type = pick(in, List.of(HealthCheck.Type.values()));
        Duration interval = duration(in, HealthCheck.MIN_INTERVAL, HealthCheck.MAX_INTERVAL);
        Duration timeout = Duration.ofNanos(longs().between(HealthCheck.MIN_TIMEOUT.toNanos(), interval.toNanos()).generate(in));
        if (coin(in)) {
            timeout = interval;
        }
        return new HealthCheck(type, pick(in, PATHS), interval, timeout,
                duration(in, Duration.ZERO, HealthCheck.MAX_GRACE_PERIOD), between(in, 1, 100));
    }

    static RestartPolicy restart(RandomnessSource in) {
        if (coin(in)) {
            return RestartPolicy.defaults();
        }
        Duration initial = duration(in, RestartPolicy.MIN_DELAY, RestartPolicy.MAX_DELAY);
        Duration max = duration(in, initial, RestartPolicy.MAX_DELAY);
        double multiplier = coin(in) ? between(in, 1, 10) : doubles().between(1, 10).generate(in);
        return new RestartPolicy(initial, max, multiplier,
                duration(in, RestartPolicy.MIN_RESET_AFTER, RestartPolicy.MAX_RESET_AFTER));
    }

    static Constraints constraints(RandomnessSource in) {
        if (coin(in)) {
            return Constraints.none();
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = between(in, 0, 2); i > 0; i--) {
            labels.put(word(in, "abz", 1, 1) + word(in, "az09./_-", 0, 8), word(in, "aZ09._-", 0, 6));
        }
        return new Constraints(coin(in), between(in, 0, Instances.MAX), labels);
    }

    /** Any valid spec. */
    static final Gen<AppSpec> SPECS = in -> {
        String name = name(in);
        Source source = source(in, name);
        AppSpec.Builder b = AppSpec.builder(name).source(source)
                .setup(argv(in, 0))
                .command(argv(in, source instanceof Source.Image ? 0 : 1))
                .instances(coin(in) ? Instances.ALL : Instances.of(between(in, 0, Instances.MAX)));
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = between(in, 0, 4); i > 0; i--) {
            env.put(envKey(in), text(in));
        }
        TreeMap<String, Double> amounts = new TreeMap<>();
        for (int i = between(in, 0, 3); i > 0; i--) {
            amounts.put(pick(in, DIMENSIONS), amount(in));
        }
        LinkedHashSet<String> domains = new LinkedHashSet<>();
        for (int i = between(in, 0, 3); i > 0; i--) {
            domains.add(domain(in));
        }
        Routing routing = new Routing(List.copyOf(domains), pick(in, List.of(Balance.values())),
                coin(in) ? null : Tls.of(Path.of("/etc/berth/" + name(in) + ".crt"), Path.of("/etc/berth/" + name(in) + ".key")),
                coin(in) ? RouteSettings.defaults()
                        : new RouteSettings(between(in, 0, 102_400), Duration.ofMillis(between(in, 1, 3_600_000)),
                                Duration.ofSeconds(between(in, 1, 86_400))));
        HealthCheck hc = healthCheck(in);
        if (!domains.isEmpty() || hc.type() != HealthCheck.Type.NONE) {
            env.put(AppSpec.PORT, coin(in) ? AppSpec.RANDOM_PORT : Integer.toString(between(in, 1, 65535)));
        }
        UpdateStrategy update = coin(in) ? UpdateStrategy.defaults()
                : new UpdateStrategy(between(in, 0, 100) / 100.0, between(in, 1, 100) / 100.0,
                        Duration.ofSeconds(between(in, 1, 86_400)));
        return b.env(env).resources(Resources.of(amounts)).routing(routing).healthCheck(hc)
                .restartPolicy(restart(in)).constraints(constraints(in)).update(update)
                .workingDir(coin(in) ? "" : workingDir(in, source instanceof Source.Image))
                .user(pick(in, List.of("", "app", "1000", "1000:1000", "www-data:www-data"))).build();
    };

    private static String workingDir(RandomnessSource in, boolean absolute) {
        List<String> parts = new java.util.ArrayList<>();
        for (int i = between(in, 1, 3); i > 0; i--) {
            parts.add(name(in));
        }
        return (absolute ? "/" : "") + String.join("/", parts);
    }

    /** Specs that a Mako Master manifest can express. */
    static final Gen<AppSpec> MAKO_SPECS = in -> {
        String name = name(in);
        AppSpec.Builder b = AppSpec.builder(name)
                .source(coin(in) ? Source.gitFollowing(name) : Source.git(name, word(in, "0123456789abcdef", between(in, 7, 40), 40)))
                .setup(argv(in, 0))
                .command(argv(in, 1))
                .instances(coin(in) ? Instances.ALL : Instances.of(between(in, 0, Instances.MAX)));
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = between(in, 0, 3); i > 0; i--) {
            env.put(envKey(in), text(in));
        }
        if (coin(in)) {
            b.resources(Resources.builder().load(amount(in)).build());
        }
        Routing routing = coin(in) ? Routing.none() : Routing.of(domain(in));
        if (coin(in)) {
            routing = new Routing(routing.domains(), pick(in, List.of(Balance.values())));
        }
        if (!routing.domains().isEmpty()) {
            env.put(AppSpec.PORT, AppSpec.RANDOM_PORT);
        }
        return b.env(env).routing(routing).build();
    };

    /** One to three valid specs with distinct names. */
    static final Gen<List<AppSpec>> SPEC_LISTS = lists(SPECS);
    static final Gen<List<AppSpec>> MAKO_SPEC_LISTS = lists(MAKO_SPECS);

    private static Gen<List<AppSpec>> lists(Gen<AppSpec> specs) {
        return in -> {
            Map<String, AppSpec> byName = new LinkedHashMap<>();
            for (int i = between(in, 1, 3); i > 0; i--) {
                AppSpec s = specs.generate(in);
                byName.putIfAbsent(s.name(), s);
            }
            return List.copyOf(byName.values());
        };
    }
}
