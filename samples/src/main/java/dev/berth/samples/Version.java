// The version that Serve prints for --version, from the version.properties Maven fills in.
package dev.berth.samples;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Gives picocli Berth's version, read from {@code version.properties} beside this class. Stateless. */
final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return new String[] {"Berth (version unknown: version.properties is missing from the class path)"};
            }
            p.load(in);
        }
        return new String[] {"Berth " + p.getProperty("version", "(version unknown)")};
    }
}
