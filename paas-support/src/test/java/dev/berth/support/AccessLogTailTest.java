// AccessLogTail: only complete lines, each once, from where the last read stopped; a shrunk file is read again.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link AccessLogTail} on a real file that the test appends to, as a proxy would. */
class AccessLogTailTest {
    @TempDir
    Path dir;

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.ISO_8859_1, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<String> read(AccessLogTail tail) throws IOException {
        List<String> out = new ArrayList<>();
        tail.read(out::add);
        return out;
    }

    @Test
    void handsOverCompleteLinesOnceAndKeepsAHalfWrittenOneForLater() throws IOException {
        Path log = dir.resolve("access.log");
        append(log, "before\n");
        AccessLogTail tail = AccessLogTail.fromEnd(log);
        assertThat(read(tail)).as("what was there before").isEmpty();

        append(log, "a\tb\nc\td\nhalf");
        assertThat(read(tail)).containsExactly("a\tb", "c\td");
        assertThat(read(tail)).as("nothing new").isEmpty();

        append(log, "-line\n\u00e9\n");
        assertThat(read(tail)).containsExactly("half-line", "\u00e9");
    }

    @Test
    void aFileThatShrankIsReadFromItsStartAndAMissingOneHasNoLines() throws IOException {
        Path log = dir.resolve("access.log");
        AccessLogTail tail = AccessLogTail.fromEnd(log);
        assertThat(read(tail)).isEmpty();

        append(log, "one\ntwo\n");
        assertThat(read(tail)).containsExactly("one", "two");
        Files.writeString(log, "new\n", StandardCharsets.ISO_8859_1); // rotated: a shorter file

        assertThat(read(tail)).containsExactly("new");
    }

    @Test
    void manyLinesAcrossReadChunksArriveWhole() throws IOException {
        Path log = dir.resolve("access.log");
        AccessLogTail tail = new AccessLogTail(log, 0);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append("line-").append(i).append('\n');
        }
        append(log, text.toString());

        List<String> lines = read(tail);

        assertThat(lines).hasSize(20_000).startsWith("line-0").endsWith("line-19999");
    }
}
