/**
 * A {@link dev.berth.spi.Backend} running instances as local OS processes. The public surface is
 * {@link dev.berth.backend.process.ProcessBackend} and its builder; everything else here is
 * package-private.
 */
package dev.berth.backend.process;
