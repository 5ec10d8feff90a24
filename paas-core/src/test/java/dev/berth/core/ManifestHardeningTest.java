package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile and careless manifests: wrong shapes, overflowing durations, huge files, symbolic
 * links, secrets. Each ends in an {@link InvalidSpecException} naming file, line and field, within
 * a time bound, and never quotes more of a file than the offending token, nor an env value.
 */
class ManifestHardeningTest {
    private static final Duration BOUND = Duration.ofSeconds(2);
    private static final String SECRET = "hunter2-very-secret";

    @TempDir
    Path tmp;

    /** The error of parsing {@code yaml}, within {@link #BOUND}. */
    private static InvalidSpecException yamlError(String yaml) {
        Throwable t = assertTimeoutPreemptively(BOUND, () -> catchThrowable(() -> Manifests.parseYaml(yaml, "w.yml", null)));
        assertThat(t).as(yaml.length() > 300 ? yaml.substring(0, 300) : yaml).isInstanceOf(InvalidSpecException.class);
        return (InvalidSpecException) t;
    }

    private static InvalidSpecException jsonError(String json) {
        Throwable t = assertTimeoutPreemptively(BOUND, () -> catchThrowable(() -> Manifests.parseMakoJson(json, "m.json")));
        assertThat(t).as(json.length() > 300 ? json.substring(0, 300) : json).isInstanceOf(InvalidSpecException.class);
        return (InvalidSpecException) t;
    }

    private InvalidSpecException loadError(Path dir) {
        Throwable t = assertTimeoutPreemptively(BOUND, () -> catchThrowable(() -> Manifests.load(dir)));
        assertThat(t).isInstanceOf(InvalidSpecException.class);
        return (InvalidSpecException) t;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            app is a list          | apps: {web: [sleep, '100']}                                                    | 1 | app 'web': app: '[sleep, 100]'
            clusters is a list     | apps:\\n  web:\\n    command: [x]\\n    clusters: [staging]                  | 4 | clusters: '[staging]'
            variant is a number    | apps:\\n  web:\\n    command: [x]\\n    clusters: {staging: 3}               | 4 | clusters.staging: '3'
            variant name is a path | apps:\\n  web:\\n    command: [x]\\n    clusters:\\n      '../../etc': {instances: 1} | 5 | clusters: '../../etc'
            variant of a variant   | apps:\\n  web:\\n    command: [x]\\n    clusters:\\n      a:\\n        clusters: {b: {}} | 6 | clusters.a.clusters
            """)
    void wrongShapesEndInAMessageNamingFileLineAndField(String what, String yaml, int line, String field) {
        InvalidSpecException e = yamlError(yaml.replace("\\n", "\n"));
        assertThat(e).as(what).hasMessageStartingWith("w.yml line " + line + ": app 'web'").hasMessageContaining(field);
    }

    @Test
    void wrongShapesInStoredSpecsEndInAMessageToo() {
        Throwable t = catchThrowable(() -> dev.berth.core.internal.manifest.SpecCodec.fromTree("web",
                java.util.Map.of("command", List.of("x"), "clusters", List.of("staging"))));
        assertThat(t).isInstanceOf(InvalidSpecException.class).hasMessageContaining("app 'web': clusters: '[staging]'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            seconds         | routing: {readTimeout: 100000000000000000s}   | routing.readTimeout: '100000000000000000s'
            days            | routing: {connectTimeout: 999999999999999d}   | routing.connectTimeout: '999999999999999d'
            negative        | routing: {readTimeout: -99999999999999999999ns} | routing.readTimeout: '-99999999999999999999ns'
            ISO hours       | restart: {initialDelay: PT2562047788015216H}  | restart.initialDelay: 'PT2562047788015216H'
            health interval | healthCheck: {type: tcp, interval: 9999999999999d} | healthCheck.interval: '9999999999999d'
            """)
    void durationsTooLongForAnyArithmeticAreRefusedWithTheirLimit(String what, String field, String shown) {
        String yaml = "apps:\n  w:\n    command: [x]\n    env: {PORT: '80'}\n    " + field + "\n";
        InvalidSpecException e = yamlError(yaml);
        assertThat(e).as(what).hasMessageStartingWith("w.yml line 5: app 'w': " + shown + " is not allowed; ")
                .hasMessageContaining("at most 106751d");
    }

    @Test
    void aYamlManifestOverTheLimitIsRefusedBeforeParsingNamingLimitAndSize() {
        String big = "apps:\n  w:\n    command: [x]\n    user: " + "a".repeat(4_000_000) + "\n";
        InvalidSpecException e = yamlError(big);
        assertThat(e).hasMessageStartingWith("w.yml: size: '" + big.length() + " bytes' is not allowed; ")
                .hasMessageContaining("at most 1048576 bytes (1 MiB)");
        // multi-byte text counts in UTF-8 bytes
        assertThat(yamlError("apps: {}\n#" + "é".repeat(600_000))).hasMessageContaining("size: '1200010 bytes'");
    }

    @Test
    void aJsonManifestOverTheLimitIsRefusedBeforeParsing() {
        String big = "{\"beep\": {\"opts\": {\"command\": [\"" + "a".repeat(3_000_000) + "\"]}}}";
        assertThat(jsonError(big)).hasMessageStartingWith("m.json: size: ").hasMessageContaining("1048576 bytes (1 MiB)");
    }

    @Test
    void aManifestFileOverTheLimitIsRefusedNamingFileAndSize() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("apps"));
        String big = "apps:\n  w:\n    user: " + "a".repeat(5 * 1024 * 1024) + "\n";
        Files.writeString(dir.resolve("big.yml"), big);
        assertThat(loadError(dir)).hasMessageStartingWith(dir.resolve("big.yml") + ": size: '" + big.length() + " bytes' is not allowed; ")
                .hasMessageContaining("at most 1048576 bytes (1 MiB)");
    }

    @Test
    void aManifestJustUnderTheLimitStillLoadsQuickly() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("apps"));
        StringBuilder yaml = new StringBuilder("apps:\n");
        for (int i = 0; yaml.length() < 1_000_000; i++) {
            yaml.append("  app-").append(i).append(":\n    command: [sleep, '1000']\n    env: {N: '").append(i).append("'}\n");
        }
        Files.writeString(dir.resolve("many.yml"), yaml);
        // 16,000 apps validated: a throughput check with room for a cold JIT on a shared machine, not a hostile input
        List<AppSpec> specs = assertTimeoutPreemptively(Duration.ofSeconds(15), () -> Manifests.load(dir));
        assertThat(specs).hasSizeGreaterThan(10_000);
        assertThat(Files.size(dir.resolve("many.yml"))).isLessThanOrEqualTo(1 << 20);
    }

    @Test
    void aSymlinkedManifestIsRefusedWithoutReadingTheTarget() throws Exception {
        Path secret = tmp.resolve("shadow");
        Files.writeString(secret, "root:$6$" + SECRET + ":19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n");
        Path dir = Files.createDirectory(tmp.resolve("apps"));
        Files.createSymbolicLink(dir.resolve("x.yml"), secret);
        InvalidSpecException e = loadError(dir);
        assertThat(e).hasMessageStartingWith(dir.resolve("x.yml") + ": file: 'x.yml' is not allowed; ")
                .hasMessageContaining("not a symbolic link");
        assertThat(e.getMessage()).doesNotContain(SECRET);
    }

    @Test
    void aFileThatIsNotAManifestIsNotQuotedBeyondTheOffendingToken() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("apps"));
        Files.writeString(dir.resolve("compose.yml"), "services:\n  db:\n    environment: {POSTGRES_PASSWORD: " + SECRET + "}\n");
        assertThat(loadError(dir).getMessage()).contains("compose.yml line 1: services: 'a mapping'").doesNotContain(SECRET);

        Files.delete(dir.resolve("compose.yml"));
        Files.writeString(dir.resolve("notes.yml"), "root:$6$" + SECRET + ":19000:0:99999:7:::\n");
        assertThat(loadError(dir).getMessage()).contains("notes.yml line 1: root:$6$hunt... (45 characters): ")
                .doesNotContain(SECRET);
        Files.writeString(dir.resolve("notes.yml"), "# a note\n" + SECRET + " is the password, keep it\n");
        assertThat(loadError(dir).getMessage()).contains("notes.yml line 2: document: 'text'").doesNotContain(SECRET);

        Files.delete(dir.resolve("notes.yml"));
        Files.writeString(dir.resolve("tabs.yml"), "apps:\n\tpassword: " + SECRET + "\n");
        assertThat(loadError(dir).getMessage()).contains("tabs.yml line 2: syntax:").doesNotContain(SECRET);

        Files.delete(dir.resolve("tabs.yml"));
        Files.writeString(dir.resolve("conf.json"), "{\"db\": {\"password\": \"" + SECRET + "\"}}");
        assertThat(loadError(dir).getMessage()).contains("conf.json line 1: app 'db': password: 'password' is not allowed; not a Mako manifest field").doesNotContain(SECRET);

        Files.delete(dir.resolve("conf.json"));
        Files.writeString(dir.resolve("broken.json"), "{\"db\": {\"password\": tokenbad, \"key\": \"" + SECRET + "\"}}");
        assertThat(loadError(dir).getMessage()).contains("broken.json line 1: syntax: 'tokenbad").doesNotContain(SECRET);

        Files.delete(dir.resolve("broken.json"));
        Files.write(dir.resolve("binary.yml"), new byte[] {(byte) 0xff, (byte) 0xfe, 's', 'e', 'c'});
        assertThat(loadError(dir).getMessage()).contains("binary.yml: encoding: 'binary.yml' is not allowed; manifest files must be UTF-8");
    }

    @Test
    void envValuesAreNeverEchoedOnlyTheKeyAndTheWrongKind() {
        InvalidSpecException list = yamlError("apps:\n  w:\n    command: [x]\n    env: {SECRET: [" + SECRET + "]}\n");
        assertThat(list).hasMessageStartingWith("w.yml line 4: app 'w': env.SECRET: 'a list, value hidden' is not allowed; must be text");
        InvalidSpecException map = yamlError("apps:\n  w:\n    command: [x]\n    env:\n      SECRET: {v: " + SECRET + "}\n");
        assertThat(map).hasMessageStartingWith("w.yml line 5: app 'w': env.SECRET: 'a mapping, value hidden'");
        InvalidSpecException whole = yamlError("apps:\n  w:\n    command: [x]\n    env: [SECRET=" + SECRET + "]\n");
        assertThat(whole).hasMessageStartingWith("w.yml line 4: app 'w': env: 'a list, value hidden'");
        InvalidSpecException mako = jsonError("{\"beep\": {\"opts\": {\"command\": [\"x\"],\n \"env\": {\"SECRET\": [\""
                + SECRET + "\"]}}}}");
        assertThat(mako).hasMessageStartingWith("m.json line 2: app 'beep': opts.env.SECRET: 'a list, value hidden'");
        InvalidSpecException around = yamlError("apps:\n  w:\n    command: [x]\n    clusters: [{env: {SECRET: " + SECRET + "}}]\n");
        assertThat(around).hasMessageContaining("clusters: '[{env: (value hidden)}]'");
        for (InvalidSpecException e : List.of(list, map, whole, mako, around)) {
            assertThat(e.getMessage()).doesNotContain(SECRET);
        }
    }

    @Test
    void hugeNumbersAndAliasBombsAreRefusedQuickly() {
        String digits = "9".repeat(60_000);
        assertThat(yamlError("apps:\n  w:\n    command: [x]\n    instances: " + digits + "\n"))
                .hasMessageStartingWith("w.yml line 4: app 'w': instances: '99999").hasMessageContaining("must be 0-10000");
        assertThat(yamlError("apps:\n  w:\n    command: [x]\n    instances: " + digits.substring(0, 1010) + "\n"))
                .hasMessageStartingWith("w.yml line 4: apps.w.instances: '99999").hasMessageContaining("at most 1000 digits");
        assertThat(jsonError("{\"beep\": {\"instances\": " + digits + "}}")).hasMessageStartingWith("m.json line 1: syntax: ");

        StringBuilder bomb = new StringBuilder("a0: &a0 [" + "x, ".repeat(1000) + "x]\n");
        for (int i = 1; i <= 24; i++) {
            bomb.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1).append(", *a").append(i - 1).append("]\n");
        }
        assertThat(yamlError(bomb.toString())).hasMessageContaining("at most 250000 values");
    }

    @Test
    void theSizeIsCheckedInBytesOfUtf8AndAManifestOfThatSizeParsesQuickly() {
        StringBuilder b = new StringBuilder("apps: {}\n");
        while (b.length() < (1 << 20) - 60_002) {
            b.append('#').append("a".repeat(60_000)).append('\n');
        }
        String full = b + "#" + "a".repeat((1 << 20) - b.length() - 1);
        assertThat(full.getBytes(StandardCharsets.UTF_8)).hasSize(1 << 20);
        assertThat(assertTimeoutPreemptively(BOUND, () -> Manifests.parseYaml(full, "w.yml", null))).isEmpty();
        assertThat(yamlError(full + "b")).hasMessageContaining("size: '1048577 bytes'");
    }

    @Test
    void aYamlLineLongerThan64KiBIsRefusedBeforeParsingNamingTheLine() {
        String yaml = "apps:\n  w:\n    command: [x]\n    user: " + "a".repeat(100_000) + "\n";
        assertThat(yamlError(yaml)).hasMessageStartingWith("w.yml line 4: line: '100010 characters' is not allowed; ")
                .hasMessageContaining("at most 65536 characters");
        // the same text over several lines of a quoted scalar is fine
        String folded = "apps:\n  w:\n    command: [x]\n    env: {LONG: '" + ("a".repeat(10_000) + "\n      ").repeat(10) + "'}\n";
        String value = assertTimeoutPreemptively(BOUND, () -> Manifests.parseYaml(folded, "w.yml", null)).get(0).env().get("LONG");
        assertThat(value.replace(" ", "").length()).isEqualTo(10 * 10_000); // folded: each line break became a space
    }
}
