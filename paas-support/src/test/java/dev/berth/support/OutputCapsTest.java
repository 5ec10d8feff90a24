// The byte caps on lines, texts and answers: 4 KiB a line with a marker, never half a character, bounded answers.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputCapsTest {

    private static long bytes(List<String> lines) {
        return lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
    }

    @Test
    void theCapsAreTheDocumentedOnes() {
        assertThat(OutputCaps.LINE_BYTES).isEqualTo(4096);
        assertThat(OutputCaps.ANSWER_BYTES).isEqualTo(1024 * 1024);
        assertThat(OutputCaps.FAILURE_BYTES).isEqualTo(64 * 1024);
        assertThat(OutputCaps.marker(12)).isEqualTo("... (12 bytes cut)");
    }

    @Test
    void aLongLineKeepsFourKibAndSaysHowMuchWasCut() {
        assertThat(OutputCaps.cutLine("short")).isEqualTo("short");
        String cut = OutputCaps.cutLine("x".repeat(5_000_000));
        assertThat(cut).isEqualTo("x".repeat(4096) + "... (" + (5_000_000 - 4096) + " bytes cut)");
        // a line that was cut already (4 KiB and its marker) is not cut again
        assertThat(OutputCaps.cutLine(cut)).isEqualTo(cut);
        // never half a character: 4095 ASCII bytes, then 2-byte characters
        String accents = "a".repeat(4095) + "é".repeat(100);
        assertThat(OutputCaps.cutLine(accents)).isEqualTo("a".repeat(4095) + "... (200 bytes cut)");
    }

    @Test
    void aTextIsCutAtACharacterBoundaryCountingBytesNotChars() {
        assertThat(OutputCaps.cutText("z".repeat(100_000), 1000)).isEqualTo("z".repeat(1000) + "... (99000 bytes cut)");
        assertThat(OutputCaps.cutText("ab", 2)).isEqualTo("ab");
        // a 4-byte character (a surrogate pair in Java) is kept whole or not at all
        assertThat(OutputCaps.cutText("a😀b", 4)).isEqualTo("a... (5 bytes cut)");
        assertThat(OutputCaps.cutText("a😀b", 5)).isEqualTo("a😀... (1 bytes cut)");
        assertThat(OutputCaps.utf8Length("aé€😀")).isEqualTo(1 + 2 + 3 + 4);
    }

    @Test
    void lastLinesAreBoundedInCountAndBytes() {
        List<String> lines = new ArrayList<>(Collections.nCopies(1000, "y".repeat(10_000)));
        lines.add("last");
        List<String> kept = OutputCaps.lastLines(lines, 500, OutputCaps.ANSWER_BYTES);
        assertThat(bytes(kept)).isLessThanOrEqualTo(OutputCaps.ANSWER_BYTES);
        assertThat(kept).hasSizeGreaterThan(200).hasSizeLessThan(500).last().isEqualTo("last");
        assertThat(kept.get(0)).isEqualTo("y".repeat(4096) + "... (5904 bytes cut)");
        assertThat(OutputCaps.lastLines(List.of("a", "b", "c"), 2, 100)).containsExactly("b", "c");
        assertThat(OutputCaps.lastLines(List.of("a", "b", "c"), 5, 4)).containsExactly("b", "c");
        assertThat(OutputCaps.lastLines(List.of("a", "b"), 0, 100)).isEmpty();
    }
}
