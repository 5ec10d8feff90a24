// Serve --version prints Berth's version (it printed nothing before).
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeVersionTest {
    @Test
    void versionPrintsTheProjectsVersion() {
        for (String flag : new String[] {"--version", "-V"}) {
            StringWriter out = new StringWriter();
            int code = new CommandLine(new Serve()).setOut(new PrintWriter(out)).execute(flag);
            assertThat(code).isZero();
            assertThat(out.toString().trim()).matches("Berth \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        }
    }
}
