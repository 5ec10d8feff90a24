// The streaming line splitter: lines of any length cost at most 4 KiB, are cut once, and never end in half a character.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
    private final List<String> got = new ArrayList<>();
    private final LineSplitter splitter = new LineSplitter(got::add);

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        splitter.write(b, 0, b.length);
    }

    @Test
    void aHugeLineWithoutNewlinesHoldsAtMostFourKib() {
        byte[] chunk = "f".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 160; i++) { // 10 MiB without a newline
            splitter.write(chunk, 0, chunk.length);
        }
        feed("\nnext\r\n");
        assertThat(got).containsExactly("f".repeat(4096) + "... (" + (160 * 64 * 1024 - 4096) + " bytes cut)", "next");
    }

    @Test
    void neverHalfACharacter() {
        feed("a".repeat(4095) + "€".repeat(3) + "\n");
        feed("a".repeat(4095) + "é".repeat(10) + "\n");
        feed("a".repeat(4094) + "😀" + "\n");
        assertThat(got).containsExactly("a".repeat(4095) + "... (9 bytes cut)", "a".repeat(4095) + "... (20 bytes cut)",
                "a".repeat(4094) + "... (4 bytes cut)");
    }

    @Test
    void aLineSplitAcrossWritesIsJoinedAndACutLineKeepsItsCarriageReturnInTheCount() {
        for (int i = 0; i < 100; i++) {
            feed("q".repeat(16 * 1024));
        }
        feed("\r\nnext\r\n");
        assertThat(got).containsExactly("q".repeat(4096) + "... (" + (100 * 16 * 1024 + 1 - 4096) + " bytes cut)", "next");
    }

    @Test
    void singleBytesAndAPendingLineOnFlush() {
        for (byte b : "é\nlast".getBytes(StandardCharsets.UTF_8)) {
            splitter.write(b);
        }
        assertThat(got).containsExactly("é");
        splitter.flush();
        splitter.flush(); // nothing pending: nothing more
        assertThat(got).containsExactly("é", "last");
        feed("\n");
        assertThat(got).containsExactly("é", "last", "");
    }
}
