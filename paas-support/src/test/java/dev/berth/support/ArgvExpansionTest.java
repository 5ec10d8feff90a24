// Unit tests of ${NAME} expansion in command argv: the rules, the escapes, the errors and the size bounds.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;

class ArgvExpansionTest {
    private static final Map<String, String> ENV = Map.of("PORT", "8123", "GREETING", "hello world; $(id) `x` ${PORT}",
            "BERTH_INSTANCE_ID", "web-1", "EMPTY", "");

    @Test
    void expandsEachArgumentAloneWithoutAShell() {
        assertThat(ArgvExpansion.expand(List.of("python3", "-m", "http.server", "${PORT}"), ENV))
                .containsExactly("python3", "-m", "http.server", "8123");
        assertThat(ArgvExpansion.expand(List.of("--bind=127.0.0.1:${PORT}", "${BERTH_INSTANCE_ID}-${PORT}.log"), ENV))
                .containsExactly("--bind=127.0.0.1:8123", "web-1-8123.log");
        // a value is never split, never expanded again, never given to a shell
        assertThat(ArgvExpansion.expand(List.of("${GREETING}"), ENV))
                .containsExactly("hello world; $(id) `x` ${PORT}");
        assertThat(ArgvExpansion.expand(List.of("${EMPTY}", "a${EMPTY}b"), ENV)).containsExactly("", "ab");
    }

    @Test
    void leavesEverythingElseAsItIs() {
        List<String> literal = List.of("$PORT", "$$", "$1", "$", "a$", "{PORT}", "$ {PORT}", "}", "", "échappé ✓");
        assertThat(ArgvExpansion.expand(literal, ENV)).isEqualTo(literal);
        assertThat(ArgvExpansion.expand(List.of(), ENV)).isEmpty();
    }

    @Test
    void doubledDollarBeforeABraceIsALiteralReference() {
        assertThat(ArgvExpansion.expand(List.of("$${PORT}", "echo $${VERSION:+x} ${PORT}", "$$$${PORT}", "$$${PORT}"), ENV))
                // the escape is the last two dollars before the brace; the ones before are literal
                .containsExactly("${PORT}", "echo ${VERSION:+x} 8123", "$$${PORT}", "$${PORT}");
    }

    @Test
    void malformedReferencesAreErrorsNamingTheArgument() {
        for (String bad : List.of("${", "${PORT", "${}", "${1X}", "${PO RT}", "${PORT:-8080}", "x${-}", "${VERSION:+, $VERSION}")) {
            assertThatThrownBy(() -> ArgvExpansion.expand(List.of("ok", bad), ENV))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("command[1]")
                    .hasMessageContaining("$${ for a literal ${");
        }
    }

    @Test
    void anUnknownNameAtLaunchIsAnErrorThatQuotesNoValue() {
        assertThatThrownBy(() -> ArgvExpansion.expand(List.of("${PROT}"), ENV))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("command[0]")
                .hasMessageContaining("PROT")
                .hasMessageContaining("GREETING")
                .hasMessageNotContaining("hello world")
                .hasMessageNotContaining("8123");
    }

    @Test
    void checkAcceptsEnvKeysAndBerthVariables() {
        AppSpec spec = AppSpec.builder("web").command("serve", "${PORT}", "${SECRET}", "${BERTH_APP}", "${BERTH_INSTANCE_ID}",
                "${BERTH_RELEASE}", "${BERTH_NODE}", "$${NOT_A_VAR}", "$HOME")
                .env("PORT", AppSpec.RANDOM_PORT).env("SECRET", "s3cret").build();
        ArgvExpansion.check(spec);
        assertThat(ArgvExpansion.BERTH_VARIABLES)
                .containsExactlyInAnyOrder("BERTH_APP", "BERTH_INSTANCE_ID", "BERTH_RELEASE", "BERTH_NODE");
    }

    @Test
    void checkRefusesAnUnknownNameNamingAppFieldAndKnownNames() {
        AppSpec spec = AppSpec.builder("web").command("python3", "-m", "http.server", "${PROT}")
                .env("PORT", AppSpec.RANDOM_PORT).env("SECRET", "s3cret").build();
        assertThatThrownBy(() -> ArgvExpansion.check(spec))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("app 'web': command[3]: '${PROT}' is not allowed; ${PROT} names no variable")
                .hasMessageContaining("BERTH_APP, BERTH_INSTANCE_ID, BERTH_NODE, BERTH_RELEASE, PORT, SECRET")
                .hasMessageNotContaining("s3cret")
                .satisfies(e -> assertThat(((InvalidSpecException) e).field()).isEqualTo("command[3]"));
        // HOME is in a process instance's environment, but not on every backend: not a known name
        AppSpec home = AppSpec.builder("web").command("ls", "${HOME}").build();
        assertThatThrownBy(() -> ArgvExpansion.check(home)).hasMessageContaining("command[1]").hasMessageContaining("HOME");
    }

    @Test
    void checkRefusesTheProcfileHabitOfABarePortWhenNoShellRuns() {
        AppSpec procfile = AppSpec.builder("web").command("python3", "-m", "http.server", "$PORT")
                .env("PORT", AppSpec.RANDOM_PORT).build();
        assertThatThrownBy(() -> ArgvExpansion.check(procfile))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("app 'web': command[3]: '$PORT' is not allowed; '$PORT' would reach the program as it is")
                .hasMessageContaining("write ${PORT}");
        AppSpec inside = AppSpec.builder("web").command("app", "--listen=127.0.0.1:$PORT").env("PORT", "8080").build();
        assertThatThrownBy(() -> ArgvExpansion.check(inside)).hasMessageContaining("command[1]");
        AppSpec berth = AppSpec.builder("web").command("app", "$BERTH_APP").build();
        assertThatThrownBy(() -> ArgvExpansion.check(berth)).hasMessageContaining("write ${BERTH_APP}");
        // a shell expands it itself; unknown names, $$ and $1 stay literal
        ArgvExpansion.check(AppSpec.builder("web").command("/bin/sh", "-c", "exec app --port \"$PORT\"")
                .env("PORT", AppSpec.RANDOM_PORT).build());
        ArgvExpansion.check(AppSpec.builder("web").command("bash", "-c", "echo $PORT").env("PORT", "1").build());
        ArgvExpansion.check(AppSpec.builder("web").command("app", "$HOME", "$$PORT", "$1", "cost: 5$").env("PORT", "1").build());
    }

    @Test
    void checkRefusesMalformedReferences() {
        AppSpec spec = AppSpec.builder("web").command("sh", "-c", "echo ${VERSION:+x}").build();
        assertThatThrownBy(() -> ArgvExpansion.check(spec))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app 'web': command[2]")
                .hasMessageContaining("$${ for a literal ${");
    }

    @Test
    void expansionsAreBoundedInSize() {
        String big = "v".repeat(100_000);
        Map<String, String> env = new LinkedHashMap<>(ENV);
        env.put("BIG", big);
        assertThat(ArgvExpansion.expand(List.of("${BIG}"), env)).containsExactly(big);
        assertThatThrownBy(() -> ArgvExpansion.expand(List.of("${BIG}${BIG}"), env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("command[0]")
                .hasMessageContaining("131071");
        List<String> many = java.util.Collections.nCopies(11, "${BIG}");
        assertThatThrownBy(() -> ArgvExpansion.expand(many, env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1048576");
        AppSpec spec = AppSpec.builder("web").command(many).env("BIG", big).build();
        assertThatThrownBy(() -> ArgvExpansion.check(spec))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("app 'web': command:");
    }
}
