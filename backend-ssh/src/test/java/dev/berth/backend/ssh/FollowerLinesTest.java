// The follower's output stream: lines cut at 4 KiB however the channel writes them, and a flush ends no line.
package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class FollowerLinesTest {

    @Test
    void theFollowersStreamHoldsAtMostFourKibOfALine() {
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

    @Test
    void aFlushInTheMiddleOfALineEndsNothing() throws Exception {
        List<String> got = new ArrayList<>();
        Follower.Lines lines = new Follower.Lines(got::add);
        lines.write("half".getBytes(StandardCharsets.UTF_8));
        lines.flush();
        lines.write(' ');
        lines.write("line\n".getBytes(StandardCharsets.UTF_8));
        assertThat(got).containsExactly("half line");
    }
}
