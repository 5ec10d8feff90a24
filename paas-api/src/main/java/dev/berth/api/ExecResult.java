package dev.berth.api;

/**
 * The outcome of a command run in an instance's directory and environment. Immutable.
 *
 * @param exitCode the command's exit code
 * @param output   its standard output and error, interleaved, possibly cut to a size limit
 */
public record ExecResult(int exitCode, String output) {
}
