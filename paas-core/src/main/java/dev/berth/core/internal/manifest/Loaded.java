package dev.berth.core.internal.manifest;

import dev.berth.api.AppSpec;

/**
 * An app read from a manifest, with where it was defined (for "defined twice" errors).
 *
 * @param spec   the app
 * @param origin the file (or other origin) it came from
 * @param line   the line of its name
 */
record Loaded(AppSpec spec, String origin, int line) {
}
