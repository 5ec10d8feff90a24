// CappedOutput keeps its first N bytes and says how many it dropped.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CappedOutputTest {
    @Test
    void keepsTheFirstBytesAndCountsTheRest() {
        CappedOutput out = new CappedOutput(5);
        out.write("abc".getBytes(StandardCharsets.UTF_8), 0, 3);
        out.write("defgh".getBytes(StandardCharsets.UTF_8), 0, 5);
        out.write('i');
        assertThat(out.bytes()).isEqualTo("abcde".getBytes(StandardCharsets.UTF_8));
        assertThat(out.dropped()).isEqualTo(4);
        assertThat(out.text()).isEqualTo("abcde\n[berth: output cut at 5 bytes, 4 more dropped]\n");
    }

    @Test
    void underTheCapTheTextIsTheOutputAlone() {
        CappedOutput out = new CappedOutput(10);
        out.write('x');
        assertThat(out.text()).isEqualTo("x");
        assertThatThrownBy(() -> new CappedOutput(-1)).hasMessageContaining("cap -1 is not allowed");
    }
}
