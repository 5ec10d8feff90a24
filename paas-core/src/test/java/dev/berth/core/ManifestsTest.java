package dev.berth.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.AppSpec;
import dev.berth.api.Balance;
import dev.berth.api.Constraints;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ManifestsTest {

    /** The example manifest of Mako Master's README, verbatim. */
    static final String MAKO_SEED = """
                {
                  "beep": {
                    "instances": "*",
                    "load": 1,
                    "routing": {
                      "domain": "beep.example.com"
                    },
                    "opts": {
                      "setup": [
                        "npm",
                        "install"
                      ],
                      "command": [
                        "node",
                        "server.js"
                      ],
                      "commit": "8b7243393950e0209c7a9346e9a1a839b99619d9",
                      "env": {
                        "PORT": "RANDOM_PORT"
                      }
                    }
                  }
                }
            """;

    static final String WEB_YAML = """
            apps:
              web:
                source: {directory: /srv/web}
                setup: [npm, install]
                command: [node, server.js]
                env: {PORT: RANDOM_PORT, LOG_LEVEL: info}
                instances: 3
                resources: {cpu: 0.5, memoryMb: 256, load: 1}
                routing: {domains: [web.example.com], method: round_robin}
                healthCheck: {type: http, path: /health, interval: 10s, timeout: 500ms, gracePeriod: PT30S, maxConsecutiveFailures: 5}
                restart: {initialDelay: 2s, maxDelay: 2m, multiplier: 1.5, resetAfter: 1h}
                constraints: {uniqueHost: true, maxPerNode: 2, nodeLabels: {zone: a}}
                clusters:
                  staging:
                    instances: 1
                    env: {LOG_LEVEL: debug}
                    resources: {cpu: 0.25}
                    routing: {domains: [web.staging.example.com]}
                  prod:
                    healthCheck: {type: tcp}
              worker:
                source: {git: {commit: 8b72433}}
                command: [java, -jar, worker.jar]
            """;

    @Test
    void makoSeedParsesToTheExpectedSpec() {
        List<AppSpec> specs = Manifests.parseMakoJson(MAKO_SEED, "manifests/beep.json");

        AppSpec expected = AppSpec.builder("beep")
                .instances(Instances.ALL)
                .resources(Resources.builder().load(1).build())
                .routing(Routing.of("beep.example.com"))
                .setup("npm", "install")
                .command("node", "server.js")
                .source(Source.git("beep", "8b7243393950e0209c7a9346e9a1a839b99619d9"))
                .env("PORT", AppSpec.RANDOM_PORT)
                .build();
        assertThat(specs).containsExactly(expected);
        assertThat(specs.get(0).routing().balance()).isEqualTo(Balance.LEAST_CONN);
    }

    @Test
    void makoSeedRoundTripsThroughToMakoJson() {
        List<AppSpec> specs = Manifests.parseMakoJson(MAKO_SEED, "beep.json");
        assertThat(Manifests.parseMakoJson(Manifests.toMakoJson(specs), "again.json")).isEqualTo(specs);
    }

    @Test
    void makoMethodsMapToBalances() {
        String json = MAKO_SEED.replace("\"domain\": \"beep.example.com\"",
                "\"domain\": \"beep.example.com\", \"method\": \"ip_hash\"");
        assertThat(Manifests.parseMakoJson(json, "m.json").get(0).routing().balance()).isEqualTo(Balance.IP_HASH);
    }

    @Test
    void yamlWithEveryFieldParses() {
        List<AppSpec> specs = Manifests.parseYaml(WEB_YAML, "apps/web.yml", null);

        AppSpec web = AppSpec.builder("web")
                .source(Source.directory(Path.of("/srv/web")))
                .setup("npm", "install")
                .command("node", "server.js")
                .env("PORT", "RANDOM_PORT").env("LOG_LEVEL", "info")
                .instances(3)
                .resources(Resources.builder().cpu(0.5).memoryMb(256).load(1).build())
                .routing(Routing.of("web.example.com").withBalance(Balance.ROUND_ROBIN))
                .healthCheck(HealthCheck.http("/health").withInterval(Duration.ofSeconds(10))
                        .withTimeout(Duration.ofMillis(500)).withGracePeriod(Duration.ofSeconds(30))
                        .withMaxConsecutiveFailures(5))
                .restartPolicy(new RestartPolicy(Duration.ofSeconds(2), Duration.ofMinutes(2), 1.5, Duration.ofHours(1)))
                .constraints(new Constraints(true, 2, Map.of("zone", "a")))
                .build();
        AppSpec worker = AppSpec.builder("worker")
                .source(Source.git("worker", "8b72433"))
                .command("java", "-jar", "worker.jar")
                .build();
        assertThat(specs).containsExactly(web, worker);
    }

    @Test
    void partialSubObjectsTakeTheApiDefaults() {
        AppSpec spec = Manifests.parseYaml("""
                apps:
                  api:
                    command: [api]
                    env: {PORT: "8080"}
                    healthCheck: {type: http, path: /ping}
                    restart: {maxDelay: 5m}
                """, "api.yml", null).get(0);
        assertThat(spec.healthCheck()).isEqualTo(HealthCheck.http("/ping"));
        assertThat(spec.restartPolicy()).isEqualTo(new RestartPolicy(Duration.ofSeconds(1), Duration.ofMinutes(5), 2.0,
                Duration.ofMinutes(1)));
        assertThat(spec.instances()).isEqualTo(Instances.of(1));
    }

    @Test
    void clusterVariantDeepMergesMapsAndReplacesScalarsAndLists() {
        AppSpec base = Manifests.parseYaml(WEB_YAML, "web.yml", null).get(0);
        AppSpec staging = Manifests.parseYaml(WEB_YAML, "web.yml", "staging").get(0);
        AppSpec prod = Manifests.parseYaml(WEB_YAML, "web.yml", "prod").get(0);
        AppSpec other = Manifests.parseYaml(WEB_YAML, "web.yml", "elsewhere").get(0);

        assertThat(staging.instances()).isEqualTo(Instances.of(1));
        assertThat(staging.env()).isEqualTo(Map.of("PORT", "RANDOM_PORT", "LOG_LEVEL", "debug"))
                .containsEntry("PORT", "RANDOM_PORT");
        assertThat(staging.resources()).isEqualTo(Resources.builder().cpu(0.25).memoryMb(256).load(1).build());
        assertThat(staging.routing()).isEqualTo(Routing.of("web.staging.example.com").withBalance(Balance.ROUND_ROBIN));
        assertThat(staging.healthCheck()).isEqualTo(base.healthCheck());
        assertThat(prod.healthCheck().type()).isEqualTo(HealthCheck.Type.TCP);
        assertThat(prod.healthCheck().interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(prod.instances()).isEqualTo(Instances.of(3));
        assertThat(other).isEqualTo(base);
        assertThat(base.env()).containsEntry("LOG_LEVEL", "info");
    }

    @Test
    void nullInAVariantRemovesTheField() {
        String yaml = """
                apps:
                  web:
                    command: [web]
                    env: {PORT: RANDOM_PORT, DEBUG: "1"}
                    constraints: {uniqueHost: true}
                    clusters:
                      dev: {env: {DEBUG: null}, constraints: null}
                """;
        AppSpec dev = Manifests.parseYaml(yaml, "web.yml", "dev").get(0);
        assertThat(dev.env()).containsOnlyKeys("PORT");
        assertThat(dev.constraints()).isEqualTo(Constraints.none());
    }

    @Test
    void theDocumentedMessageFormat() {
        String yaml = """
                apps:
                  web:
                    command:
                      - node
                      - server.js
                    env: {A: b}
                    instances: -2
                """;
        assertThatThrownBy(() -> Manifests.parseYaml(yaml, "apps/web.yml", null))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessage("apps/web.yml line 7: app 'web': instances: '-2' is not allowed; must be 0-10000 or ALL (\"*\")");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            name                  | apps: {Web_1: {command: [x]}}                                                         | 1 | name: 'Web_1'
            instances too many    | apps:\\n  w:\\n    command: [x]\\n    instances: 10001                                | 4 | instances: '10001'
            instances a word      | apps:\\n  w:\\n    command: [x]\\n    instances: three                                | 4 | instances: 'three'
            env key               | apps:\\n  w:\\n    command: [x]\\n    env:\\n      A: b\\n      1BAD: x                 | 6 | env: '1BAD'
            domain                | apps:\\n  w:\\n    command: [x]\\n    env: {PORT: '80'}\\n    routing:\\n      domains: [ok.com, 'a;b.com'] | 6 | routing.domains[1]: 'a;b.com'
            method                | apps:\\n  w:\\n    command: [x]\\n    routing: {method: fastest}                      | 4 | routing.method: 'fastest'
            tls path injection    | apps:\\n  w:\\n    command: [x]\\n    routing:\\n      tls: {certificate: '/a;b', key: /k} | 5 | routing.tls.certificate: '/a;b'
            tls relative key      | apps:\\n  w:\\n    command: [x]\\n    routing:\\n      tls: {certificate: /c, key: k.pem} | 5 | routing.tls.key: 'k.pem'
            tls missing key       | apps:\\n  w:\\n    command: [x]\\n    routing:\\n      tls: {certificate: /c} | 5 | routing.tls.key: nothing
            body size             | apps:\\n  w:\\n    command: [x]\\n    routing: {maxBodyMb: -1}                       | 4 | routing.maxBodyMb: '-1'
            read timeout          | apps:\\n  w:\\n    command: [x]\\n    routing: {readTimeout: 2d}                     | 4 | routing.readTimeout: '2d'
            duration              | apps:\\n  w:\\n    command: [x]\\n    env: {PORT: '80'}\\n    healthCheck:\\n      type: tcp\\n      interval: 5 sec | 7 | healthCheck.interval: '5 sec'
            timeout > interval    | apps:\\n  w:\\n    command: [x]\\n    env: {PORT: '80'}\\n    healthCheck:\\n      type: tcp\\n      timeout: 10s | 7 | healthCheck.timeout: '10s'
            negative cpu          | apps:\\n  w:\\n    command: [x]\\n    resources:\\n      cpu: -1                       | 5 | resources.cpu: '-1.0'
            unknown field         | apps:\\n  w:\\n    command: [x]\\n    colour: blue                                    | 4 | colour: 'colour' is not allowed; not a known field;
            unknown nested field  | apps:\\n  w:\\n    command: [x]\\n    restart:\\n      maxDelay: 1m\\n      jitter: 1s      | 6 | restart.jitter: 'jitter' is not allowed; not a known field of restart;
            wrong type            | apps:\\n  w:\\n    command: node server.js                                          | 3 | command: 'node server.js'
            wrong nested type     | apps:\\n  w:\\n    command: [x]\\n    constraints: {uniqueHost: maybe}               | 4 | constraints.uniqueHost: 'maybe'
            missing port          | apps:\\n  w:\\n    command: [x]\\n    routing: {domains: [w.example.com]}            | 2 | env.PORT: nothing
            missing command       | apps:\\n  w:\\n    env: {A: b}                                                     | 2 | command: '[]'
            bad commit            | apps:\\n  w:\\n    command: [x]\\n    source:\\n      git: {commit: XYZ}            | 5 | source.git.commit: 'XYZ'
            two sources           | apps:\\n  w:\\n    command: [x]\\n    source: {image: a, directory: /b}             | 4 | source: '{image: a, directory: /b}'
            bad cluster variant   | apps:\\n  w:\\n    command: [x]\\n    clusters:\\n      staging:\\n        instances: -1 | 6 | instances: '-1'
            duplicate key         | apps:\\n  w:\\n    command: [x]\\n    env: {A: b}\\n    env: {C: d}                  | 5 | apps.w.env: 'env'
            top-level field       | apps: {}\\nservices: {}                                                              | 2 | services: 'a mapping'
            syntax                | apps:\\n  w:\\n    command: [x\\n    env: {}                                       | 4 | syntax:
            """)
    void everyErrorNamesFileLineAndField(String what, String yaml, int line, String field) {
        assertThatThrownBy(() -> Manifests.parseYaml(yaml.replace("\\n", "\n"), "apps/w.yml", null))
                .as(what)
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("apps/w.yml line " + line + ": ")
                .hasMessageContaining(field);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown top field  | {"beep": {"instances": 1, "opts": {"command": ["x"]}, "memory": 5}}        | 1 | memory: 'memory' is not allowed; not a Mako manifest field;
            unknown opts field | {"beep": {\\n "opts": {\\n  "command": ["x"],\\n  "cwd": "/tmp"}}}        | 4 | opts.cwd: 'cwd' is not allowed
            unknown routing    | {"beep": {"opts": {"command": ["x"]},\\n "routing": {"domains": ["a"]}}} | 2 | routing.domains: 'domains' is not allowed; not a Mako manifest field of routing; did you mean 'domain'?
            bad instances      | {"beep": {"opts": {"command": ["x"]},\\n "instances": "all"}}           | 2 | instances: 'all'
            bad load           | {"beep": {"opts": {"command": ["x"]},\\n "load": -1}}                   | 2 | load: '-1.0'
            bad domain         | {"beep": {"opts": {"command": ["x"], "env": {"PORT": "RANDOM_PORT"}},\\n "routing": {"domain": "a b"}}} | 2 | routing.domain: 'a b'
            bad method         | {"beep": {"opts": {"command": ["x"]},\\n "routing": {"method": "random"}}} | 2 | routing.method: 'random'
            bad commit         | {"beep": {"opts": {"command": ["x"],\\n "commit": "master"}}}          | 2 | opts.commit: 'master'
            bad env            | {"beep": {"opts": {"command": ["x"],\\n "env": {"A-B": "x"}}}}        | 2 | opts.env: 'A-B'
            missing port       | {"beep": {"opts": {"command": ["x"]},\\n "routing": {"domain": "a.com"}}} | 1 | opts.env.PORT
            missing command    | {"beep": {"instances": 1}}                                              | 1 | opts.command
            bad name           | {"Beep!": {"opts": {"command": ["x"]}}}                                 | 1 | name: 'Beep!'
            duplicate key      | {"beep": {"instances": 1,\\n "instances": 2}}                          | 2 | beep.instances
            syntax             | {"beep": {"instances": 1,\\n "load": }}                                 | 2 | syntax
            """)
    void everyMakoErrorNamesFileLineAndField(String what, String json, int line, String field) {
        assertThatThrownBy(() -> Manifests.parseMakoJson(json.replace("\\n", "\n"), "m/beep.json"))
                .as(what)
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("m/beep.json line " + line + ": ")
                .hasMessageContaining(field);
    }

    @Test
    void aBareStarGetsAHint() {
        assertThatThrownBy(() -> Manifests.parseYaml("apps:\n  w:\n    command: [x]\n    instances: *\n", "w.yml", null))
                .hasMessageStartingWith("w.yml line 4: syntax: '*' is not allowed; must be valid YAML")
                .hasMessageEndingWith("(quote \"*\": a bare * starts a YAML alias)");
    }

    @Test
    void toMakoJsonRejectsWhatMakoCannotExpress() {
        AppSpec checked = AppSpec.builder("web").command("web").env("PORT", "RANDOM_PORT")
                .healthCheck(HealthCheck.http("/")).build();
        assertThatThrownBy(() -> Manifests.toMakoJson(List.of(checked)))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app 'web': healthCheck: 'HTTP' is not allowed; a Mako manifest cannot express it");
        AppSpec image = AppSpec.builder("web").source(Source.image("team/web:1")).build();
        assertThatThrownBy(() -> Manifests.toMakoJson(List.of(image)))
                .hasMessageContaining("source");
    }

    @Test
    void loadReadsEveryManifestOfADirectoryInNameOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("b.yml"), WEB_YAML);
        Files.writeString(dir.resolve("a.json"), MAKO_SEED);
        Files.writeString(dir.resolve("c.yaml"), "apps:\n  cron:\n    command: [cron, -f]\n");
        Files.writeString(dir.resolve("notes.txt"), "not a manifest");
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub").resolve("d.yml"), "apps:\n  deep:\n    command: [x]\n");

        assertThat(Manifests.load(dir)).extracting(AppSpec::name).containsExactly("beep", "web", "worker", "cron");
        assertThat(Manifests.load(dir, "staging").get(1).instances()).isEqualTo(Instances.of(1));
        assertThat(Manifests.load(dir).get(1).instances()).isEqualTo(Instances.of(3));
    }

    @Test
    void aClusterThatNoManifestDefinesIsAnErrorListingTheKnownOnes(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("b.yml"), WEB_YAML);
        Files.writeString(dir.resolve("a.json"), MAKO_SEED);

        assertThatThrownBy(() -> Manifests.load(dir, "stagin"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("cluster: 'stagin' is not allowed")
                .hasMessageContaining("the clusters defined there are prod, staging");
        Files.delete(dir.resolve("b.yml"));
        assertThatThrownBy(() -> Manifests.load(dir, "staging"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("has cluster variants");
        assertThat(Manifests.load(dir)).extracting(AppSpec::name).containsExactly("beep");
    }

    @Test
    void anAppInTwoFilesIsAnErrorNamingBoth(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("one.yml"), "apps:\n  web:\n    command: [a]\n");
        Files.writeString(dir.resolve("two.yml"), "apps:\n  other:\n    command: [b]\n  web:\n    command: [b]\n");

        assertThatThrownBy(() -> Manifests.load(dir))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith(dir.resolve("two.yml") + " line 4: app 'web': name: 'web' is not allowed")
                .hasMessageContaining("also defined in " + dir.resolve("one.yml") + " line 2");
    }

    @Test
    void loadingIsAllOrNothing(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yml"), "apps:\n  good:\n    command: [a]\n");
        Files.writeString(dir.resolve("b.yml"), "apps:\n  bad:\n    command: [a]\n    instances: -1\n");
        assertThatThrownBy(() -> Manifests.load(dir))
                .hasMessageStartingWith(dir.resolve("b.yml") + " line 4: app 'bad': instances");
    }

    @Test
    void yamlScalarsThatLookLikeOtherTypesStayTextWhereTextIsWanted() {
        AppSpec spec = Manifests.parseYaml("""
                apps:
                  w:
                    command: [chmod, 0755, x, yes, 1e3]
                    env: {PORT: 8080, FLAG: on}
                """, "w.yml", null).get(0);
        assertThat(spec.command()).containsExactly("chmod", "0755", "x", "yes", "1e3");
        assertThat(spec.env()).containsEntry("PORT", "8080").containsEntry("FLAG", "on");
    }

    @Test
    void toYamlReadsBackEqual() {
        List<AppSpec> specs = Manifests.parseYaml(WEB_YAML, "web.yml", "staging");
        String yaml = Manifests.toYaml(specs);
        assertThat(Manifests.parseYaml(yaml, "out.yml", null)).isEqualTo(specs);
        assertThat(yaml).contains("interval: 10s").contains("timeout: 500ms");
    }

    @Test
    void emptyManifestsHoldNoApps() {
        assertThat(Manifests.parseYaml("", "e.yml", null)).isEmpty();
        assertThat(Manifests.parseYaml("apps:\n", "e.yml", null)).isEmpty();
        assertThat(Manifests.parseMakoJson("{}", "e.json")).isEmpty();
    }
}
