package dev.berth.core.internal.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.api.BackendException;
import dev.berth.api.ExitInfo;
import dev.berth.api.PlatformEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Byte caps of backend text: per line, per text, on code points, with markers naming what was cut. */
class OutputCapTest {
    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void aTwentyMegabyteLineIsCutTo4KiBWithAMarker() {
        String line = "x".repeat(20_000_000);
        String capped = OutputCap.line(line);
        assertThat(bytes(capped)).isLessThanOrEqualTo(OutputCap.LINE_BYTES + 40);
        assertThat(capped).startsWith("x".repeat(OutputCap.LINE_BYTES)).endsWith("... (" + (20_000_000 - 4096) + " bytes cut)");
        assertThat(OutputCap.line("short")).isEqualTo("short");
        assertThat(OutputCap.line(null)).isNull();
    }

    @Test
    void cutsFallOnCodePointsAndCountUtf8Bytes() {
        String line = "日".repeat(5000) + "🙂".repeat(10); // 3 bytes each, then 4 bytes each
        String capped = OutputCap.line(line);
        String kept = capped.substring(0, capped.indexOf("... ("));
        assertThat(kept).isEqualTo("日".repeat(4096 / 3));
        assertThat(capped).endsWith("(" + (bytes(line) - bytes(kept)) + " bytes cut)");
        String emoji = OutputCap.line("🙂".repeat(2000));
        assertThat(emoji.substring(0, emoji.indexOf("... ("))).isEqualTo("🙂".repeat(1024));
    }

    @Test
    void aTextIsCutPerLineAndInTotal() {
        String reason = ("setup failed: " + "y".repeat(10_000) + "\n").repeat(100) + "last line";
        String capped = OutputCap.text(reason);
        assertThat(bytes(capped)).isLessThanOrEqualTo(OutputCap.TEXT_BYTES);
        assertThat(capped.lines().filter(l -> l.startsWith("setup failed: ")).toList()).allSatisfy(
                l -> assertThat(bytes(l)).isLessThanOrEqualTo(OutputCap.LINE_BYTES + 40));
        assertThat(capped).endsWith(" bytes cut)").doesNotContain("last line");
        String many = "ok\n".repeat(1_000_000);
        assertThat(bytes(OutputCap.text(many))).isLessThanOrEqualTo(OutputCap.TEXT_BYTES);
        String small = "exited with 1\nsee the log";
        assertThat(OutputCap.text(small)).isSameAs(small);
    }

    @Test
    void exceptionsKeepTheirKindAndLoseTheirBulk() {
        BackendException e = new BackendException("setup failed:\n" + "z".repeat(20_000_000), new IOException("pipe"));
        RuntimeException capped = OutputCap.exception(e);
        assertThat(capped).isInstanceOf(BackendException.class).hasCauseInstanceOf(IOException.class);
        assertThat(bytes(capped.getMessage())).isLessThanOrEqualTo(OutputCap.LINE_BYTES + 100);
        assertThat(capped.getStackTrace()).isEqualTo(e.getStackTrace());
        BackendException small = new BackendException("exited with 1");
        assertThat(OutputCap.exception(small)).isSameAs(small);
    }

    @Test
    void everyEventTextFromABackendIsCapped() {
        Instant now = Instant.now();
        String huge = "w".repeat(20_000_000);
        PlatformEvent.BuildOutput out = (PlatformEvent.BuildOutput) EventTexts.capped(
                new PlatformEvent.BuildOutput(now, "web", "r1", "local", huge));
        assertThat(bytes(out.line())).isLessThanOrEqualTo(OutputCap.LINE_BYTES + 40);
        PlatformEvent.InstanceStartFailed failed = (PlatformEvent.InstanceStartFailed) EventTexts.capped(
                new PlatformEvent.InstanceStartFailed(now, "web", "web-1", "setup failed:\n" + huge));
        assertThat(bytes(failed.reason())).isLessThanOrEqualTo(OutputCap.TEXT_BYTES);
        PlatformEvent.InstanceExited exited = (PlatformEvent.InstanceExited) EventTexts.capped(
                new PlatformEvent.InstanceExited(now, "web", "web-1", new ExitInfo(1, now, huge)));
        assertThat(bytes(exited.exit().reason())).isLessThanOrEqualTo(OutputCap.TEXT_BYTES);
        PlatformEvent.DeployFailed deploy = (PlatformEvent.DeployFailed) EventTexts.capped(
                new PlatformEvent.DeployFailed(now, "web", "r2", huge, "r1"));
        assertThat(bytes(deploy.reason())).isLessThanOrEqualTo(OutputCap.TEXT_BYTES);
        PlatformEvent small = new PlatformEvent.InstanceStartFailed(now, "web", "web-1", "no such file");
        assertThat(EventTexts.capped(small)).isSameAs(small);
    }
}
