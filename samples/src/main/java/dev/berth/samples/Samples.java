package dev.berth.samples;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the samples. */
final class Samples {
    private Samples() {
    }

    /** The argv that starts {@code main} of {@code mainClass} in a small JVM on this class path. */
    static List<String> javaCommand(Class<?> mainClass) {
        return javaCommand(mainClass, List.of());
    }

    /** The same with {@code javaOptions} (say {@code -Xshare:off}) after the defaults. */
    static List<String> javaCommand(Class<?> mainClass, List<String> javaOptions) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of(java, "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xss512k"));
        argv.addAll(javaOptions);
        argv.addAll(List.of("-cp", codeLocation(mainClass), mainClass.getName()));
        return List.copyOf(argv);
    }

    /** Whether an executable {@code name} is on the PATH or in the sbin folders where Debian puts daemons. */
    static boolean onPath(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/sbin"));
        return dirs.stream().filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, name)));
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
