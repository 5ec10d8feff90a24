// The Docker backend's log collector keeps its byte caps whatever the frames hold.
package dev.berth.backend.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;

import dev.berth.support.OutputCaps;

class LogLinesTest {

    private static Frame frame(String s) {
        return new Frame(StreamType.STDOUT, s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void collectedLinesStayWithinTheAnswerCapAndKeepTheNewest() {
        LogLines lines = LogLines.collecting(100_000);
        for (int i = 0; i < 2000; i++) {
            lines.onNext(frame("z".repeat(6000) + " " + i + "\n"));
        }
        lines.onNext(frame("last, without a newline"));
        List<String> got = lines.lines();
        long bytes = got.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
        assertThat(bytes).isLessThanOrEqualTo(OutputCaps.ANSWER_BYTES);
        assertThat(got).hasSizeGreaterThan(200).last().isEqualTo("last, without a newline");
        assertThat(got.get(got.size() - 2)).isEqualTo("z".repeat(4096) + "... (1909 bytes cut)");
    }

    @Test
    void aLineSplitAcrossFramesIsJoinedAndCutOnce() {
        List<String> got = new ArrayList<>();
        LogLines follow = LogLines.following(got::add);
        for (int i = 0; i < 100; i++) {
            follow.onNext(frame("q".repeat(16 * 1024)));
        }
        follow.onNext(frame("\r\nnext\r\n"));
        assertThat(got).containsExactly("q".repeat(4096) + "... (" + (100 * 16 * 1024 + 1 - 4096) + " bytes cut)", "next");
    }
}
