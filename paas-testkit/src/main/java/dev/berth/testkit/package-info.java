/**
 * Berth's test kit: {@link dev.berth.testkit.SimBackend}, an in-memory backend whose starts and
 * stops cost nothing, for tests of the platform and for scale benchmarks.
 */
package dev.berth.testkit;
