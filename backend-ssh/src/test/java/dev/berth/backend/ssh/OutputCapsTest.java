// The byte caps on lines and answers, and the follower's line splitter that applies them while streaming.
package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

class OutputCapsTest {

    @Test
    void aLongLineKeepsFourKibAndSaysHowMuchWasCut() {
        assertThat(OutputCaps.cutLine("short")).isEqualTo("short");
        String cut = OutputCaps.cutLine("x".repeat(5_000_000));
        assertThat(cut).isEqualTo("x".repeat(4096) + "... (" + (5_000_000 - 4096) + " bytes cut)");
        // a line the host has already cut (4 KiB and its marker) is not cut again
        assertThat(OutputCaps.cutLine(cut)).isEqualTo(cut);
        // never half a character: 4095 ASCII bytes, then 2-byte characters
        String accents = "a".repeat(4095) + "é".repeat(100);
        assertThat(OutputCaps.cutLine(accents)).isEqualTo("a".repeat(4095) + "... (200 bytes cut)");
    }

    @Test
    void lastLinesAreBoundedInCountAndBytes() {
        List<String> lines = new ArrayList<>(Collections.nCopies(1000, "y".repeat(10_000)));
        lines.add("last");
        List<String> kept = OutputCaps.lastLines(lines, 500, OutputCaps.ANSWER_BYTES);
        long bytes = kept.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
        assertThat(bytes).isLessThanOrEqualTo(OutputCaps.ANSWER_BYTES);
        assertThat(kept).hasSizeGreaterThan(200).hasSizeLessThan(500).last().isEqualTo("last");
        assertThat(kept.get(0)).isEqualTo("y".repeat(4096) + "... (5904 bytes cut)");
        assertThat(OutputCaps.lastLines(List.of("a", "b", "c"), 2, 100)).containsExactly("b", "c");
        assertThat(OutputCaps.cutText("z".repeat(100_000), 1000)).hasSize(1000 + "... (99000 bytes cut)".length());
    }

    @Test
    void theFollowersSplitterHoldsAtMostFourKibOfALine() {
        List<String> got = new ArrayList<>();
        Follower.Lines lines = new Follower.Lines(got::add);
        byte[] chunk = "f".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 160; i++) { // 10 MiB without a newline
            lines.write(chunk, 0, chunk.length);
        }
        lines.write("\nnext\r\n".getBytes(StandardCharsets.UTF_8), 0, 7);
        byte[] accents = ("a".repeat(4095) + "é".repeat(10) + "\n").getBytes(StandardCharsets.UTF_8);
        lines.write(accents, 0, accents.length);
        assertThat(got).containsExactly("f".repeat(4096) + "... (" + (160 * 64 * 1024 - 4096) + " bytes cut)", "next",
                "a".repeat(4095) + "... (20 bytes cut)");
    }
}
