// The model's validation rules, one bad value each: refused with the field, the value and what is allowed.
package dev.berth.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule of {@code dev.berth.api} that guards what later reaches a shell, a proxy's
 * configuration or a file name: each case builds one bad value and expects an
 * {@link InvalidSpecException} that names the field, shows the value (never an env value) and
 * says what is allowed; the values just inside each rule are accepted.
 */
class ValidationRulesTest {
    private static AppSpec.Builder app() {
        return AppSpec.builder("web").command("serve");
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                refused("app name with a space", () -> AppSpec.builder("my app").command("x").build(), "name", "my app",
                        "DNS label"),
                refused("app name in upper case", () -> AppSpec.builder("Web").command("x").build(), "name", "Web",
                        "DNS label"),
                refused("app name of 64 characters", () -> AppSpec.builder("a".repeat(64)).command("x").build(), "name",
                        "a".repeat(64), "1-63"),
                refused("empty command", () -> AppSpec.builder("web").command(List.of()).build(), "command", "[]",
                        "non-empty argv"),
                refused("NUL in an argument", () -> app().command("serve", "a\0b").build(), "command[1]", "a\0b",
                        "NUL"),
                refused("env key with a dash", () -> app().env("MY-KEY", "1").build(), "env", "MY-KEY",
                        "A-Z a-z 0-9 _"),
                refused("env key starting with a digit", () -> app().env("1KEY", "1").build(), "env", "1KEY",
                        "not starting with a digit"),
                refused("PORT that is no port", () -> app().env("PORT", "http").build(), "env.PORT", "http", "1-65535"),
                refused("PORT 0", () -> app().env("PORT", "0").build(), "env.PORT", "0", "1-65535"),
                refused("domains without a PORT", () -> app().routing(Routing.of("web.test")).build(), "env.PORT", null,
                        "set env PORT"),
                refused("domain with a semicolon", () -> Routing.of("web.test;"), "routing.domains[0]", "web.test;",
                        "host name"),
                refused("domain in upper case, given to the record", () -> new Routing(List.of("Web.test"), Balance.LEAST_CONN),
                        "routing.domains[0]", "Web.test", "lower case"),
                refused("domain label starting with a dash", () -> Routing.of("-web.test"), "routing.domains[0]",
                        "-web.test", "host name"),
                refused("a domain twice", () -> Routing.of("web.test", "web.test"), "routing.domains[1]", "web.test",
                        "once"),
                refused("working dir leaving the release", () -> app().workingDir("../etc").build(), "workingDir",
                        "../etc", "no '..'"),
                refused("absolute working dir outside an image", () -> app().workingDir("/etc").build(), "workingDir",
                        "/etc", "relative path"),
                refused("user with a space", () -> app().user("root user").build(), "user", "root user", "name:group"),
                refused("negative instance count", () -> Instances.of(-1), "instances", "-1", "0-"),
                refused("health check path without a slash", () -> HealthCheck.http("health"), "healthCheck.path",
                        "health", "must start with '/'"),
                refused("health check path with a space", () -> HealthCheck.http("/a b"), "healthCheck.path", "/a b",
                        "no spaces"),
                refused("health timeout over the interval", () -> HealthCheck.http("/")
                        .withTimings(Duration.ofSeconds(1), Duration.ofSeconds(2)), "healthCheck.timeout", "2s",
                        "must not exceed the interval"),
                refused("endpoint port 0", () -> new Endpoint("127.0.0.1", 0), "endpoint.port", "0", "1-65535"),
                refused("endpoint host with a slash", () -> new Endpoint("a/b", 80), "endpoint.host", "a/b",
                        "IP address or host name"),
                refused("node id with a slash", () -> NodeSpec.of("n/1", Resources.of(1, 1)), "node.id", "n/1",
                        "A-Z a-z 0-9 . _ -"),
                refused("label key with a space", () -> new NodeSpec("n1", Resources.of(1, 1), Map.of("a b", "x")),
                        "labels", "a b", "label keys"),
                refused("relative source directory", () -> Source.directory(java.nio.file.Path.of("app")),
                        "source.directory", "app", "absolute path"));
    }

    private static Arguments refused(String what, Executable make, String field, String value, String allowed) {
        return Arguments.of(what, make, field, value, allowed);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void aBadValueIsRefusedNamingTheFieldTheValueAndTheRule(String what, Executable make, String field, String value,
                                                           String allowed) {
        InvalidSpecException e = catchThrowableOfType(make::execute, InvalidSpecException.class);

        assertThat(e).as(what).isNotNull();
        assertThat(e.field()).as("field of: %s", what).endsWith(field);
        if (value != null) {
            assertThat(e.value()).as("value of: %s", what).isEqualTo(value);
        }
        assertThat(e.allowed()).as("rule of: %s", what).contains(allowed);
        assertThat(e.getMessage()).contains(e.field());
    }

    @Test
    void anEnvValueIsNeverShownEvenWhenItIsTheBadPart() {
        InvalidSpecException e = catchThrowableOfType(() -> app().env("TOKEN", "s3cret\0").build(),
                InvalidSpecException.class);

        assertThat(e.field()).endsWith("env.TOKEN");
        assertThat(e.getMessage()).doesNotContain("s3cret").contains("(value hidden)");
    }

    @Test
    void routingOfLowerCasesItsDomains() {
        assertThat(Routing.of("Web.TEST").domains()).containsExactly("web.test");
    }

    @Test
    void theValuesJustInsideEachRuleAreAccepted() {
        assertThatCode(() -> {
            AppSpec.builder("a".repeat(63)).command("serve").build();
            AppSpec.builder("web-2").command("serve").env("_KEY_9", "any value").env("PORT", "65535")
                    .routing(Routing.of("a.b-c.test", "web.test")).workingDir("web/bin").user("app:app").build();
            AppSpec.builder("web").command("serve").env("PORT", AppSpec.RANDOM_PORT).build();
            Instances.of(0);
            HealthCheck.http("/health?deep=1").withTimings(Duration.ofSeconds(1), Duration.ofSeconds(1));
            new Endpoint("10.0.0.1", 1);
            new Endpoint("node-1.example", 65535);
            NodeSpec.of("n_1.a-b", Resources.of(1, 1));
        }).doesNotThrowAnyException();
    }
}
