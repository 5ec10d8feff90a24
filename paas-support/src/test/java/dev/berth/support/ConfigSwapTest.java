// ConfigSwap's logic with fakes for the proxy: a refused text never reaches the file, a failed reload puts the last good one back.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.api.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSwapTest {
    @TempDir
    Path dir;

    /** A fake {@code nginx -t}: records what it was shown and refuses a text that contains "bad". */
    private final List<String> validated = new ArrayList<>();
    private final Consumer<Path> validator = file -> {
        String text = read(file);
        validated.add(text);
        if (text.contains("bad")) {
            throw new BerthException("proxy -t rejected the new configuration: unknown directive \"bad\"");
        }
    };

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aGoodTextIsValidatedInstalledReloadedAndBecomesTheLastGood() throws Exception {
        Path conf = Files.writeString(dir.resolve("proxy.conf"), "one\n");
        ConfigSwap swap = new ConfigSwap("proxy", conf, validator);
        assertThat(swap.lastGood()).as("the file's text at the start").isEqualTo("one\n");
        List<String> reloaded = new ArrayList<>();
        String result = swap.swap("two\n", () -> {
            reloaded.add(read(conf)); // the reload sees the new file in place
            return "reloaded";
        });
        assertThat(result).isEqualTo("reloaded");
        assertThat(validated).containsExactly("two\n");
        assertThat(reloaded).containsExactly("two\n");
        assertThat(read(conf)).isEqualTo("two\n");
        assertThat(swap.lastGood()).isEqualTo("two\n");
        assertThat(dir.resolve("proxy.conf.next")).doesNotExist();
    }

    @Test
    void aFailedReloadPutsTheLastGoodTextBackAndRethrows() throws Exception {
        Path conf = Files.writeString(dir.resolve("proxy.conf"), "one\n");
        ConfigSwap swap = new ConfigSwap("proxy", conf, validator);
        BerthException refused = new BerthException("proxy refused the new configuration");
        assertThatThrownBy(() -> swap.swap("two\n", () -> {
            assertThat(read(conf)).isEqualTo("two\n");
            throw refused;
        })).isSameAs(refused);
        assertThat(read(conf)).as("the last good text is back").isEqualTo("one\n");
        assertThat(swap.lastGood()).isEqualTo("one\n");
        assertThat(dir.resolve("proxy.conf.next")).doesNotExist();
        // and the next swap starts from there
        swap.swap("three\n", () -> null);
        assertThat(read(conf)).isEqualTo("three\n");
        assertThat(swap.lastGood()).isEqualTo("three\n");
    }

    @Test
    void aTextTheValidatorRefusesNeverReachesTheFileNorTheReload() throws Exception {
        Path conf = Files.writeString(dir.resolve("proxy.conf"), "one\n");
        ConfigSwap swap = new ConfigSwap("proxy", conf, validator);
        List<String> reloads = new ArrayList<>();
        assertThatThrownBy(() -> swap.swap("bad\n", () -> reloads.add("reload")))
                .isInstanceOf(BerthException.class).hasMessageContaining("unknown directive \"bad\"");
        assertThat(reloads).as("no reload of a refused text").isEmpty();
        assertThat(read(conf)).isEqualTo("one\n");
        assertThat(swap.lastGood()).isEqualTo("one\n");
        assertThat(dir.resolve("proxy.conf.next")).doesNotExist();
    }

    @Test
    void withoutALastGoodTextAFailedReloadLeavesTheNewFileAndNoneIsRestored() throws Exception {
        Path conf = dir.resolve("proxy.conf");
        ConfigSwap swap = new ConfigSwap("proxy", conf, validator);
        assertThat(swap.lastGood()).isNull();
        assertThatThrownBy(() -> swap.swap("first\n", () -> {
            throw new BerthException("did not start");
        })).hasMessage("did not start");
        assertThat(read(conf)).as("nothing to put back").isEqualTo("first\n");
        assertThat(swap.lastGood()).isNull();
    }

    @Test
    void installAndWriteLeaveTheLastGoodTextToAcceptedAndRestorePutsItBack() throws Exception {
        Path conf = Files.writeString(dir.resolve("proxy.conf"), "one\n");
        ConfigSwap swap = new ConfigSwap("proxy", conf, validator);
        swap.install("two\n");
        assertThat(read(conf)).isEqualTo("two\n");
        assertThat(swap.lastGood()).isEqualTo("one\n");
        swap.write("bad but unvalidated\n");
        assertThat(validated).containsExactly("two\n");
        assertThat(read(conf)).isEqualTo("bad but unvalidated\n");
        swap.restore();
        assertThat(read(conf)).isEqualTo("one\n");
        swap.accepted("two\n");
        swap.restore();
        assertThat(read(conf)).isEqualTo("two\n");
    }

    @Test
    void checkValidatesAScratchFileAndDeletesItLeavingTheConfigAlone() throws Exception {
        Path conf = Files.writeString(dir.resolve("proxy.conf"), "one\n");
        ConfigSwap swap = new ConfigSwap("proxy", conf, validator);
        Path scratch = dir.resolve("check.conf");
        swap.check(scratch, "two\n");
        assertThatThrownBy(() -> swap.check(scratch, "bad\n")).isInstanceOf(BerthException.class);
        assertThat(validated).containsExactly("two\n", "bad\n");
        assertThat(scratch).doesNotExist();
        assertThat(read(conf)).isEqualTo("one\n");
        assertThat(swap.lastGood()).isEqualTo("one\n");
    }
}
