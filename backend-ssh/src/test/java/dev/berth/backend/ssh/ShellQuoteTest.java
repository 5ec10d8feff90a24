package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Quoting: exact strings, and round trips through real shells (dash, bash, busybox sh) that must give back the argv. */
class ShellQuoteTest {
    static final List<String> HOSTILE = List.of("plain", "two words", "", " ", "it's", "'", "''", "\"double\"",
            "a;b", "; rm -rf /tmp/x", "$(touch /tmp/pwned-by-quote)", "`touch /tmp/pwned-by-quote`", "$HOME", "${PATH}",
            "back\\slash", "line\nbreak", "\ttab", "a|b&c>d<e", "*", "?", "[a]", "{a,b}", "~", "~root", "#comment", "a=b",
            "-n", "--", "!event", "ünïcödé ✓ 日本", "%s%n", "\r", "trailing\\");

    @Test
    void safeWordsStayAsTheyAreAndTheRestIsSingleQuoted() {
        assertThat(ShellQuote.quote("abc-1.2_x/y:z,w@h%p+q")).isEqualTo("abc-1.2_x/y:z,w@h%p+q");
        assertThat(ShellQuote.quote("")).isEqualTo("''");
        assertThat(ShellQuote.quote("two words")).isEqualTo("'two words'");
        assertThat(ShellQuote.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(ShellQuote.quote("$(x)")).isEqualTo("'$(x)'");
        assertThat(ShellQuote.quote("`x`")).isEqualTo("'`x`'");
        assertThat(ShellQuote.quote("a=b")).isEqualTo("'a=b'");
        assertThat(ShellQuote.quote("~")).isEqualTo("'~'");
        assertThat(ShellQuote.quote("a\nb")).isEqualTo("'a\nb'");
        assertThat(ShellQuote.join(List.of("sh", "-c", "echo $1", "x y"))).isEqualTo("sh -c 'echo $1' 'x y'");
    }

    @Test
    void nulAndNullAndEmptyListsAreRefused() {
        assertThatThrownBy(() -> ShellQuote.quote("a\0b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> ShellQuote.quote(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ShellQuote.join(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/sh", "/bin/bash", "/bin/busybox"})
    void aShellSplitsTheLineBackIntoExactlyTheArgv(String shell) throws Exception {
        if (!Files.isExecutable(Path.of(shell))) {
            throw new AssertionError(shell + " is needed by this test");
        }
        Path marker = Path.of("/tmp/pwned-by-quote");
        Files.deleteIfExists(marker);
        // the line a login shell gets: printf prints each argument NUL-terminated, exactly as received
        String line = "printf '%s\\0' " + ShellQuote.join(HOSTILE);
        List<String> argv = new ArrayList<>(shell.endsWith("busybox") ? List.of(shell, "sh") : List.of(shell));
        argv.addAll(List.of("-c", line));
        assertThat(run(argv)).containsExactlyElementsOf(HOSTILE);
        // and two levels, as the backend sends scripts: sh -c SCRIPT berth ARGS... inside the login shell's line
        List<String> nested = new ArrayList<>(List.of("sh", "-c", "printf '%s\\0' \"$@\"", "berth"));
        nested.addAll(HOSTILE);
        argv.set(argv.size() - 1, ShellQuote.join(nested));
        assertThat(run(argv)).containsExactlyElementsOf(HOSTILE);
        assertThat(marker).doesNotExist();
    }

    private static List<String> run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        String s = new String(out, StandardCharsets.UTF_8);
        assertThat(s).endsWith("\0");
        return Arrays.asList(s.substring(0, s.length() - 1).split("\0", -1));
    }

    @Test
    void theEnvFileQuotesEveryValue() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("A", "plain");
        env.put("B", "it's $(x) `y`\nz");
        String text = new String(ShellQuote.envFile(env).readAllBytes(), StandardCharsets.UTF_8);
        assertThat(text).isEqualTo("A=plain\nB='it'\\''s $(x) `y`\nz'\n");
        assertThatThrownBy(() -> ShellQuote.envFile(Map.of("BAD-KEY", "v"))).hasMessageContaining("env key 'BAD-KEY'");
    }
}
