package dev.berth.core.internal.manifest;

import dev.berth.api.AppSpec;

/**
 * An app read from a manifest, with where it was defined (for "defined twice" errors).
 *
 * @param spec   the app
 * @param origin the file (or other origin) it came from
 * @param line   the line of its name
 * @param clusters the clusters the app has variants for (none for Mako manifests)
 */
record Loaded(AppSpec spec, String origin, int line, java.util.Set<String> clusters) {
    Loaded {
        clusters = java.util.Set.copyOf(clusters);
    }

    /** An app without cluster variants. */
    Loaded(AppSpec spec, String origin, int line) {
        this(spec, origin, line, java.util.Set.of());
    }
}
