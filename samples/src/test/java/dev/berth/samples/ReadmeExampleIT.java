// The README's "Use it from your Maven project" section, taken from README.md itself: its pom fragment checked, its Java compiled and run.
package dev.berth.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import dev.berth.spi.RunningInstance;
import dev.berth.backend.process.ProcessBackend;

/**
 * Extracts the blocks that follow {@code <!-- readme-test: pom -->} and {@code <!-- readme-test: java -->}
 * in README.md. The pom fragment must import {@code dev.berth:berth-bom} at the reactor's version and
 * use only artifacts the BOM manages, and the BOM must manage every published module. The Java
 * block is compiled with javax.tools against the test class path and run in a JVM of its own, as a
 * user would: its two instances must answer, Berth's logs must show through the binding, and Enter
 * must stop them.
 */
class ReadmeExampleIT {
    private static final Pattern SERVING = Pattern.compile("serving (http://127\\.0\\.0\\.1:[0-9]+/)");
    private static final Duration RUN_LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void thePomFragmentImportsTheBomAtTheReactorVersion() throws Exception {
        Path root = root();
        String version = text(xml(Files.readString(root.resolve("pom.xml"))).getDocumentElement(), "version");
        Document bom = xml(Files.readString(root.resolve("berth-bom/pom.xml")));
        assertThat(text(bom.getDocumentElement(), "version")).as("berth-bom's version").isEqualTo(version);
        assertThat(bom.getDocumentElement().getElementsByTagName("parent").getLength()).as("berth-bom has no parent").isZero();
        Set<String> managed = artifacts(bom, "dev.berth");
        assertThat(managed).as("berth-bom manages every published module").containsAll(publishedModules(root));

        Document fragment = xml("<project>" + block(readme(), "pom", "xml") + "</project>");
        Element imported = (Element) fragment.getElementsByTagName("dependencyManagement").item(0);
        assertThat(imported).as("the fragment's dependencyManagement").isNotNull();
        Element bomDep = (Element) imported.getElementsByTagName("dependency").item(0);
        assertThat(List.of(text(bomDep, "groupId"), text(bomDep, "artifactId"), text(bomDep, "version"), text(bomDep, "type"),
                text(bomDep, "scope"))).containsExactly("dev.berth", "berth-bom", version, "pom", "import");
        NodeList deps = fragment.getDocumentElement().getElementsByTagName("dependencies");
        Element used = (Element) deps.item(deps.getLength() - 1);
        Set<String> berth = new TreeSet<>();
        Set<String> others = new TreeSet<>();
        NodeList list = used.getElementsByTagName("dependency");
        for (int i = 0; i < list.getLength(); i++) {
            Element d = (Element) list.item(i);
            if ("dev.berth".equals(text(d, "groupId"))) {
                assertThat(d.getElementsByTagName("version").getLength()).as("a Berth artifact takes its version from the BOM").isZero();
                berth.add(text(d, "artifactId"));
            } else {
                others.add(text(d, "groupId") + ":" + text(d, "artifactId"));
            }
        }
        assertThat(berth).contains("paas-core", "backend-process");
        assertThat(managed).containsAll(berth);
        assertThat(others).as("a logging binding").contains("org.slf4j:slf4j-simple");
    }

    @Test
    void theJavaExampleCompilesAndRunsAsWritten() throws Exception {
        String source = block(readme(), "java", "java");
        Matcher pkg = Pattern.compile("(?m)^package ([a-z.]+);").matcher(source);
        Matcher cls = Pattern.compile("(?m)^public final class ([A-Za-z]+)").matcher(source);
        assertThat(pkg.find()).as("the example declares its package").isTrue();
        assertThat(cls.find()).as("the example declares a public class").isTrue();
        assertThat(source).as("the example needs nothing of the samples").doesNotContain("dev.berth.samples");
        String main = pkg.group(1) + "." + cls.group(1);
        Path src = dir.resolve("src/" + pkg.group(1).replace('.', '/') + "/" + cls.group(1) + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path out = Files.createDirectories(dir.resolve("classes"));
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        var diagnostics = new java.io.ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-Xlint:all,-path,-processing", "-Werror", "--release", "17",
                "-cp", classPath, "-d", out.toString(), src.toString());
        assertThat(rc).as("javac of the README's example:\n" + diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        Path state = dir.resolve("state");
        Path stderr = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", out + File.pathSeparator + classPath, main, state.toString())
                .redirectError(stderr.toFile()).start();
        try {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("reader failed: " + e);
                }
            }, "readme-example-stdout");
            reader.setDaemon(true);
            reader.start();
            List<String> urls = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
            while (true) {
                String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(line).as("the example's output so far: " + seen + "\nstderr: " + Files.readString(stderr)).isNotNull();
                seen.add(line);
                Matcher m = SERVING.matcher(line);
                if (m.find()) {
                    urls.add(m.group(1));
                }
                if (line.startsWith("press Enter")) {
                    break;
                }
            }
            assertThat(urls).as("its two instances").hasSize(2).doesNotHaveDuplicates();
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            for (String url : urls) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("hello from Berth\n");
            }
            assertThat(Files.readString(stderr)).as("Berth's logs, through slf4j-simple")
                    .contains("INFO dev.berth.backend.process.ProcessBackend");

            try (OutputStream in = p.getOutputStream()) {
                in.write('\n');
            }
            assertThat(p.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)).as("the example ends after Enter").isTrue();
            assertThat(p.exitValue()).as("stderr: " + Files.readString(stderr)).isZero();
            for (String url : urls) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(
                        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding())).as(url + " after Enter").isInstanceOf(ConnectException.class);
            }
            assertThat(leftOver(state)).as("instances left running").isEmpty();
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            stopLeftOvers(state);
        }
    }

    private static List<RunningInstance> leftOver(Path state) {
        if (!Files.isDirectory(state.resolve("instances"))) {
            return List.of();
        }
        try (ProcessBackend b = ProcessBackend.builder().baseDir(state.resolve("instances")).build()) {
            return b.list();
        }
    }

    private static void stopLeftOvers(Path state) {
        if (Files.isDirectory(state.resolve("instances"))) {
            try (ProcessBackend b = ProcessBackend.builder().baseDir(state.resolve("instances")).build()) {
                b.list().forEach(i -> b.stop(i.instanceId(), Duration.ofSeconds(2)));
            }
        }
    }

    /** The reactor's root: the parent of this module's directory. */
    private static Path root() {
        Path here = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
        return Files.exists(here.resolve("README.md")) ? here : here.getParent();
    }

    private static String readme() throws IOException {
        return Files.readString(root().resolve("README.md"));
    }

    /** The fenced block of {@code lang} right after the marker {@code <!-- readme-test: NAME -->}. */
    static String block(String readme, String name, String lang) {
        String marker = "<!-- readme-test: " + name + " -->";
        int at = readme.indexOf(marker);
        assertThat(at).as("README.md has the marker " + marker).isNotNegative();
        assertThat(readme.indexOf(marker, at + 1)).as("the marker " + marker + " appears once").isNegative();
        String fence = "```" + lang + "\n";
        int start = readme.indexOf(fence, at);
        assertThat(start).as("a ```" + lang + " block after " + marker).isNotNegative();
        assertThat(readme.substring(at + marker.length(), start)).as("only blank lines between the marker and its block").isBlank();
        int end = readme.indexOf("\n```", start + fence.length());
        assertThat(end).as("the block after " + marker + " ends").isNotNegative();
        return readme.substring(start + fence.length(), end + 1);
    }

    private static Document xml(String text) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The text of {@code parent}'s own child element {@code name}, or null. */
    private static String text(Element parent, String name) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().trim();
            }
        }
        return null;
    }

    private static Set<String> artifacts(Document pom, String groupId) {
        Set<String> out = new TreeSet<>();
        NodeList list = pom.getElementsByTagName("dependency");
        for (int i = 0; i < list.getLength(); i++) {
            Element d = (Element) list.item(i);
            if (groupId.equals(text(d, "groupId"))) {
                out.add(text(d, "artifactId"));
            }
        }
        return out;
    }

    /** The reactor's modules that are published: all but the BOM itself and the benchmarks. */
    private static Set<String> publishedModules(Path root) throws Exception {
        NodeList modules = xml(Files.readString(root.resolve("pom.xml"))).getElementsByTagName("module");
        Set<String> out = new TreeSet<>();
        for (int i = 0; i < modules.getLength(); i++) {
            String m = modules.item(i).getTextContent().trim();
            if (!m.equals("berth-bom") && !m.equals("bench")) {
                out.add(m);
            }
        }
        return out;
    }
}
