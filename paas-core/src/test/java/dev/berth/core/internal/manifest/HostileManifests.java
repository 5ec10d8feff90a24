package dev.berth.core.internal.manifest;

import static dev.berth.core.internal.manifest.SpecGen.between;
import static dev.berth.core.internal.manifest.SpecGen.coin;
import static dev.berth.core.internal.manifest.SpecGen.pick;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Generates hostile manifests for the fuzz test: valid YAML and Mako JSON manifests (the examples
 * of {@code docs/manifests.md} and the tests) mutated as text (byte flips, truncation, inserted
 * junk, duplicated lines and keys, huge numbers, deep nesting, aliases, tags, unicode) or as trees
 * (a value swapped for a list, map or scalar, for a huge or odd number, a path-ish name, or a deep
 * nest), then written back.
 */
final class HostileManifests {
    /** One generated manifest: its format and its text. */
    record Case(boolean json, String text, String how) {
        @Override
        public String toString() {
            String shown = text.length() > 3000 ? text.substring(0, 3000) + "... (" + text.length() + " chars)" : text;
            return (json ? "JSON" : "YAML") + " by " + how + ":\n" + shown;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FENCED = Pattern.compile("```(yaml|json)\\n(.*?)```", Pattern.DOTALL);
    private static final String JUNK_CHARS = "{}[]:,-*&!|>'\"#\n\t \\%@`?~=.0123456789eE+aZé日\u0000\u2028\uFEFF\u0085\r";
    private static final List<String> JUNK = List.of("*a", "&a ", "!!python/object:os.system ", "!!binary ", "<<: *a",
            "../../etc", "/etc/shadow", "${HOME}", "$(id)", "; rm -rf /", "\u202e", "\ud800", "🙂", "NaN", ".inf", "-.inf",
            "1e99999", "-0", "0x7fffffffffffffff", "99999999999999999999999999", "null", "~", "yes", "PT-1S", "-1s",
            "100000000000000000s", "P99999999999999999D", "'", "\"", "[", "{", "? ", "- ", ": ", "---\n", "...\n", "%YAML 1.2\n");
    private static final List<Object> ODD_VALUES = List.of("", " ", "*", "../../etc", "a/../../b", "/", "..", "ü日本",
            "\u0000", "x".repeat(300), new BigInteger("9".repeat(400)), Long.MIN_VALUE, Long.MAX_VALUE, 1e308, -1e308,
            Double.MIN_VALUE, -0.0, 0, -1, true, false, "100000000000000000s", "PT2562047788015216H", "-5s", "0s", "1ns",
            "999999999d", "RANDOM_PORT", "0755", "1e3");

    private HostileManifests() {
    }

    /** The valid seeds: every fenced YAML and JSON example of {@code docs/manifests.md}, and the tests' own. */
    static List<Case> seeds(Path docs) {
        String md;
        try {
            md = Files.readString(docs);
        } catch (IOException e) {
            throw new UncheckedIOException("the fuzz seeds come from " + docs.toAbsolutePath(), e);
        }
        List<Case> out = new ArrayList<>();
        Matcher m = FENCED.matcher(md);
        while (m.find()) {
            out.add(new Case(m.group(1).equals("json"), m.group(2), "seed"));
        }
        out.add(new Case(false, """
                apps:
                  web:
                    source: {directory: /srv/web}
                    setup: [npm, install]
                    command: [node, server.js]
                    env: {PORT: RANDOM_PORT, LOG_LEVEL: info}
                    instances: 3
                    resources: {cpu: 0.5, memoryMb: 256, load: 1}
                    routing: {domains: [web.example.com], method: round_robin, maxBodyMb: 8, readTimeout: 30s}
                    healthCheck: {type: http, path: /health, interval: 10s, timeout: 500ms, gracePeriod: PT30S, maxConsecutiveFailures: 5}
                    restart: {initialDelay: 2s, maxDelay: 2m, multiplier: 1.5, resetAfter: 1h}
                    constraints: {uniqueHost: true, maxPerNode: 2, nodeLabels: {zone: a}}
                    user: "1000:1000"
                    workingDir: web/bin
                    clusters:
                      staging:
                        instances: 1
                        env: {LOG_LEVEL: debug}
                      prod:
                        healthCheck: {type: tcp}
                  worker:
                    source: {git: {commit: 8b72433}}
                    command: [java, -jar, worker.jar]
                """, "seed"));
        out.add(new Case(true, """
                {"beep": {"instances": "*", "load": 1, "routing": {"domain": "beep.example.com"},
                  "opts": {"setup": ["npm", "install"], "command": ["node", "server.js"],
                    "commit": "8b7243393950e0209c7a9346e9a1a839b99619d9", "env": {"PORT": "RANDOM_PORT"}}},
                 "boop": {"instances": 2, "opts": {"command": ["sleep", "100"]}}}
                """, "seed"));
        return out;
    }

    /** Hostile manifests of the format {@code json}, mutated from {@code seeds} of that format. */
    static Gen<Case> of(List<Case> seeds, boolean json) {
        List<Case> mine = seeds.stream().filter(c -> c.json() == json).toList();
        if (mine.isEmpty()) {
            throw new IllegalStateException("no " + (json ? "JSON" : "YAML") + " seed");
        }
        return in -> {
            Case seed = pick(in, mine);
            int rounds = between(in, 1, 3);
            String text = seed.text();
            StringBuilder how = new StringBuilder();
            for (int i = 0; i < rounds; i++) {
                boolean tree = between(in, 0, 2) == 0;
                String mutated = tree ? treeMutation(in, text, json, how) : null;
                text = mutated != null ? mutated : textMutation(in, text, how);
            }
            return new Case(json, text, how.toString().strip());
        };
    }

    // ---- text mutations ---------------------------------------------------------------------

    private static String textMutation(RandomnessSource in, String text, StringBuilder how) {
        int at = text.isEmpty() ? 0 : between(in, 0, text.length() - 1);
        switch (between(in, 0, 8)) {
            case 0 -> {
                how.append("flip@").append(at).append(' ');
                return text.isEmpty() ? text : text.substring(0, at) + JUNK_CHARS.charAt(between(in, 0, JUNK_CHARS.length() - 1))
                        + text.substring(at + 1);
            }
            case 1 -> {
                how.append("truncate@").append(at).append(' ');
                return text.substring(0, at);
            }
            case 2 -> {
                how.append("junk@").append(at).append(' ');
                return text.substring(0, at) + pick(in, JUNK) + text.substring(at);
            }
            case 3 -> {
                how.append("duplicate-line ");
                String[] lines = text.split("\n", -1);
                int l = between(in, 0, lines.length - 1);
                List<String> out = new ArrayList<>(List.of(lines));
                out.add(l, lines[l]);
                return String.join("\n", out);
            }
            case 4 -> {
                how.append("deep@").append(at).append(' ');
                int depth = between(in, 10, 5000);
                String open = coin(in) ? "[" : "{a: ";
                String close = open.equals("[") ? "]" : "}";
                return text.substring(0, at) + open.repeat(depth) + "1" + close.repeat(coin(in) ? depth : depth / 2) + text.substring(at);
            }
            case 5 -> {
                how.append("huge-number@").append(at).append(' ');
                return text.substring(0, at) + "9".repeat(between(in, 20, 70_000)) + text.substring(at);
            }
            case 6 -> {
                int n = between(in, 0, 20) == 0 ? between(in, 1_000_000, 1_300_000) : between(in, 100, 70_000);
                how.append("long-text(").append(n).append(")@").append(at).append(' ');
                String unit = pick(in, List.of("a", "é", "日", "🙂", "a ", "\\n", "#"));
                return text.substring(0, at) + unit.repeat(Math.max(1, n / unit.length())) + text.substring(at);
            }
            case 7 -> {
                how.append("bytes@").append(at).append(' ');
                StringBuilder b = new StringBuilder(text.substring(0, at));
                for (int i = between(in, 1, 16); i > 0; i--) {
                    b.append((char) between(in, 0, 0xFFFF));
                }
                return b.append(text.substring(at)).toString();
            }
            default -> {
                how.append("alias-bomb ");
                StringBuilder b = new StringBuilder("x0: &x0 [" + "a, ".repeat(between(in, 1, 500)) + "a]\n");
                for (int i = 1; i <= between(in, 2, 45); i++) {
                    b.append('x').append(i).append(": &x").append(i).append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
                }
                return b + text;
            }
        }
    }

    // ---- tree mutations ---------------------------------------------------------------------

    /** {@code text} parsed, one value replaced, written back; null when it does not parse as plain data. */
    private static String treeMutation(RandomnessSource in, String text, boolean json, StringBuilder how) {
        if (text.length() > 100_000 || text.contains("*x")) {
            return null; // a long text or an alias bomb: the text mutations cover those, parsing them here is slow
        }
        Object root;
        try {
            root = json ? JSON.readValue(text, Object.class) : new Yaml(new LoaderOptions()).load(text);
        } catch (RuntimeException | IOException e) {
            return null;
        }
        List<Object[]> slots = new ArrayList<>(); // {container, key or index}
        collect(root, slots, 0);
        if (slots.isEmpty()) {
            return null;
        }
        Object[] slot = pick(in, slots);
        Object old = get(slot);
        Object replacement = replacement(in, old, how);
        set(slot, replacement);
        try {
            return json ? JSON.writeValueAsString(root) : dump(root);
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    private static Object replacement(RandomnessSource in, Object old, StringBuilder how) {
        switch (between(in, 0, 6)) {
            case 0 -> {
                how.append("to-list ");
                return new ArrayList<>(List.of(old == null ? "x" : old));
            }
            case 1 -> {
                how.append("to-map ");
                Map<String, Object> m = new LinkedHashMap<>();
                m.put(pick(in, List.of("a", "env", "clusters", "../../etc", "staging", "SECRET")), old);
                return m;
            }
            case 2 -> {
                how.append("to-scalar ");
                return old instanceof Map<?, ?> || old instanceof List<?> ? pick(in, ODD_VALUES) : pick(in, List.of(3, "3", "[x]"));
            }
            case 3 -> {
                how.append("deep-nest ");
                Object v = old;
                for (int i = between(in, 30, 200); i > 0; i--) {
                    v = coin(in) ? new ArrayList<>(List.of(v == null ? "x" : v)) : new LinkedHashMap<>(Map.of("a", v == null ? "x" : v));
                }
                return v;
            }
            case 4 -> {
                how.append("rename ");
                return renamed(in, old);
            }
            default -> {
                how.append("odd-value ");
                return pick(in, ODD_VALUES);
            }
        }
    }

    /** A map with one key replaced by a path-ish, unicode or hostile one; other values as they are. */
    private static Object renamed(RandomnessSource in, Object old) {
        if (!(old instanceof Map<?, ?> m) || m.isEmpty()) {
            return pick(in, ODD_VALUES);
        }
        Map<Object, Object> out = new LinkedHashMap<>(m);
        Object key = new ArrayList<>(m.keySet()).get(between(in, 0, m.size() - 1));
        Object value = out.remove(key);
        out.put(pick(in, List.of("../../etc", "a/b", "", " ", "Web", "x".repeat(70), "ü", "*", "env", "clusters", "1BAD",
                "PORT", "$(id)", "staging", "apps")), value);
        return out;
    }

    private static void collect(Object node, List<Object[]> slots, int depth) {
        if (depth > 20 || slots.size() > 10_000) {
            return;
        }
        if (node instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                slots.add(new Object[] {m, k});
                collect(m.get(k), slots, depth + 1);
            }
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                slots.add(new Object[] {l, i});
                collect(l.get(i), slots, depth + 1);
            }
        }
    }

    private static Object get(Object[] slot) {
        return slot[0] instanceof Map<?, ?> m ? m.get(slot[1]) : ((List<?>) slot[0]).get((Integer) slot[1]);
    }

    @SuppressWarnings("unchecked")
    private static void set(Object[] slot, Object value) {
        if (slot[0] instanceof Map<?, ?> m) {
            ((Map<Object, Object>) m).put(slot[1], value);
        } else {
            ((List<Object>) slot[0]).set((Integer) slot[1], value);
        }
    }

    private static String dump(Object root) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setAllowUnicode(true);
        options.setSplitLines(false);
        return new Yaml(options).dump(root);
    }
}
