// The web page's static files: htmx and its SSE extension from their webjars, and Berth's stylesheet.
package dev.berth.server;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The few files the page loads, read once from the class path (the webjars vendored by Maven, at
 * the versions the pom names) and served with a cache lifetime of an hour. Only these names are
 * served: nothing else on the class path is reachable.
 */
final class StaticFiles {
    private record File(byte[] bytes, String type) {
    }

    private final Map<String, File> files;

    StaticFiles() {
        Properties versions = new Properties();
        try (InputStream in = open("dev/berth/server/web/versions.properties")) {
            versions.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("the web page's versions.properties", e);
        }
        files = Map.of(
                "htmx.min.js", load("META-INF/resources/webjars/htmx.org/" + versions.getProperty("htmx") + "/dist/htmx.min.js",
                        "text/javascript"),
                "sse.js", load("META-INF/resources/webjars/htmx-ext-sse/" + versions.getProperty("htmx-ext-sse") + "/sse.js",
                        "text/javascript"),
                "berth.css", load("dev/berth/server/web/berth.css", "text/css"));
    }

    /** Sends the file {@code name}, or 404. */
    void serve(String name, HttpServletResponse resp) throws IOException {
        File f = files.get(name);
        if (f == null) {
            resp.sendError(404);
            return;
        }
        resp.setStatus(200);
        resp.setContentType(f.type() + "; charset=utf-8");
        resp.setHeader("Cache-Control", "public, max-age=3600");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(f.bytes().length);
        resp.getOutputStream().write(f.bytes());
    }

    private static File load(String resource, String type) {
        try (InputStream in = open(resource)) {
            return new File(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(resource, e);
        }
    }

    private static InputStream open(String resource) {
        InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("the web page's file " + resource + " is missing from the class path");
        }
        return in;
    }
}
