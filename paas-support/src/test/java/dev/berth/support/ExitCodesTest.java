// ExitCodes: plain codes as they are, codes over 128 with the signal they most likely stand for.
package dev.berth.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link ExitCodes#describe}, the words every backend reports an exit in. */
class ExitCodesTest {
    @Test
    void aCodeOver128NamesTheSignalItMostLikelyStandsFor() {
        assertThat(ExitCodes.describe(0)).isEqualTo("exited with 0");
        assertThat(ExitCodes.describe(1)).isEqualTo("exited with 1");
        assertThat(ExitCodes.describe(128)).isEqualTo("exited with 128");
        assertThat(ExitCodes.describe(137)).isEqualTo("exited with 137 (128+9: most likely killed by signal 9 (SIGKILL))");
        assertThat(ExitCodes.describe(143)).isEqualTo("exited with 143 (128+15: most likely killed by signal 15 (SIGTERM))");
        assertThat(ExitCodes.describe(170)).isEqualTo("exited with 170 (128+42: most likely killed by signal 42)");
        assertThat(ExitCodes.describe(255)).isEqualTo("exited with 255");
        assertThat(ExitCodes.describe(-1)).isEqualTo("exited with -1");
    }
}
