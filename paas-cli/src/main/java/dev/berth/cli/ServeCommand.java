// berth serve ...: the samples' Serve, with exactly its options, from the launcher.
package dev.berth.cli;

import dev.berth.samples.Serve;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * Runs {@link Serve} with every argument as it was given, so {@code berth serve} takes exactly
 * Serve's options ({@code berth serve --help} prints them) and exits with its code.
 */
@Command(name = "serve", description = "Run a folder of manifests as a platform (Serve; berth serve --help for its options).")
final class ServeCommand implements Callable<Integer> {
    /** Every argument, options included, for Serve to parse ({@link Berth#run} makes picocli stop at the first). */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return new CommandLine(new Serve()).execute(args.toArray(String[]::new));
    }
}
