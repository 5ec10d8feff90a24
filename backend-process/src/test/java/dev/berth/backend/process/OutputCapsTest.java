package dev.berth.backend.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12 item 4 (process half): output read back or rotated is bounded in bytes, not only in lines. */
class OutputCapsTest {
    @TempDir
    Path dir;

    private static void writeLine(Path file, long bytes, boolean newline) throws IOException {
        byte[] block = new byte[1 << 20];
        Arrays.fill(block, (byte) 'x');
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
            if (newline) {
                out.write('\n');
            }
        }
    }

    private static long chars(List<String> lines) {
        return lines.stream().mapToLong(String::length).sum();
    }

    @Test
    void tailOfA100MbSingleLineIsBounded() throws Exception {
        Path out = dir.resolve(LogFiles.OUTPUT);
        writeLine(out, 100L << 20, false);
        List<String> tail = LogFiles.tail(out, 10, 5);
        assertThat(chars(tail)).isLessThanOrEqualTo(LogFiles.LINE_CAP + 200);
        assertThat(tail).hasSize(1);
        assertThat(tail.get(0)).startsWith("... ").endsWith(" bytes cut)");
    }

    @Test
    void tailKeepsShortLinesWholeAndCapsTheTotal() throws Exception {
        Path out = dir.resolve(LogFiles.OUTPUT);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40_000; i++) {
            sb.append("line ").append(i).append(" ").append("y".repeat(50)).append('\n');
        }
        Files.writeString(out, sb);
        assertThat(LogFiles.tail(out, 3, 5)).containsExactly("line 39997 " + "y".repeat(50),
                "line 39998 " + "y".repeat(50), "line 39999 " + "y".repeat(50));
        List<String> all = LogFiles.tail(out, 1_000_000, 5);
        assertThat(chars(all)).isLessThanOrEqualTo(LogFiles.TAIL_CAP);
        assertThat(all.get(all.size() - 1)).isEqualTo("line 39999 " + "y".repeat(50));
    }

    @Test
    void aLongLineAmongShortOnesIsCutWithAMarker() throws Exception {
        Path out = dir.resolve(LogFiles.OUTPUT);
        Files.writeString(out, "before\n" + "z".repeat(3 * LogFiles.LINE_CAP) + "\nafter\n");
        List<String> tail = LogFiles.tail(out, 3, 5);
        assertThat(tail).hasSize(3);
        assertThat(tail.get(0)).isEqualTo("before");
        assertThat(tail.get(1)).startsWith("z".repeat(100)).endsWith("... (" + (2 * LogFiles.LINE_CAP) + " bytes cut)")
                .hasSizeLessThan(LogFiles.LINE_CAP + 100);
        assertThat(tail.get(2)).isEqualTo("after");
    }

    @Test
    void rotationLeavesTheRotatedFileAtMostItsCap() throws Exception {
        Path out = dir.resolve(LogFiles.OUTPUT);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        Files.writeString(out, sb); // about ten times the cap
        assertThat(Files.size(out)).isGreaterThan(10 * 1024);
        assertThat(LogFiles.rotateIfNeeded(out, 1024, 3)).isTrue();
        Path first = LogFiles.rotated(out, 1);
        assertThat(Files.size(first)).isLessThanOrEqualTo(1024);
        String kept = Files.readString(first, StandardCharsets.UTF_8);
        assertThat(kept).endsWith("line 1999\n").contains("[berth: ");
        assertThat(Files.size(out)).isZero();
    }
}
