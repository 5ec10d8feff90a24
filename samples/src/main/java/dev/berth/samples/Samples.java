package dev.berth.samples;

import java.nio.file.Path;
import java.util.List;

/** Helpers shared by the samples. */
final class Samples {
    private Samples() {
    }

    /** The argv that starts {@code main} of {@code mainClass} in a small JVM on this class path. */
    static List<String> javaCommand(Class<?> mainClass) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-cp", codeLocation(mainClass), mainClass.getName());
    }

    /** The class folder or jar that holds {@code c}: the samples' apps need nothing else. */
    static String codeLocation(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + c.getName(), e);
        }
    }
}
