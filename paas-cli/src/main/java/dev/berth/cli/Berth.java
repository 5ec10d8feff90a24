// The berth command: the control API's client in Dokku's and Heroku's verbs, and berth serve; exit 0 ok, 1 failed, 2 usage.
package dev.berth.cli;

import java.io.PrintWriter;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code berth}: every client command talks only to the control API ({@code --addr} or
 * {@code BERTH_ADDR}, {@code --token} or {@code BERTH_TOKEN}); {@code berth serve} runs a platform.
 * Exit codes: 0 when the command did what was asked, 1 when it failed (the message says what to
 * do), 2 for a usage error. {@code berth completion} prints a bash/zsh completion script.
 */
@Command(name = "berth", mixinStandardHelpOptions = true, versionProvider = Berth.Version.class,
        description = "Berth's command line: drive a Berth platform through its control API, or serve one.",
        subcommands = {
                ServeCommand.class,
                AppCommands.Apps.class, AppCommands.Info.class, DeployCommand.class, AppCommands.Destroy.class,
                PsCommands.Ps.class, PsCommands.Scale.class, PsCommands.Restart.class, PsCommands.Stop.class,
                PsCommands.Start.class, PsCommands.Kill.class, PsCommands.StopOne.class, PsCommands.RestartOne.class,
                LogsCommand.class, ClusterCommands.Exec.class, ShellCommand.class,
                AppCommands.Config.class, AppCommands.ConfigSet.class, AppCommands.ConfigUnset.class,
                AppCommands.DomainsAdd.class, AppCommands.DomainsRemove.class,
                AppCommands.Releases.class, AppCommands.Rollback.class,
                ClusterCommands.Nodes.class, ClusterCommands.Traffic.class, EventsCommand.class,
                HookCommands.Modules.class, HookCommands.PresetsSet.class, HookCommands.PresetsRemove.class,
                HookCommands.Jobs.class,
                AutoComplete.GenerateCompletion.class})
public final class Berth implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs berth and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs berth with {@code args}, printing to {@code out} and {@code err}; answers its exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Berth());
        cli.setOut(out);
        cli.setErr(err);
        cli.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
        CommandLine serve = cli.getSubcommands().get("serve");
        serve.setStopAtUnmatched(true); // every argument goes to Serve as it is
        serve.setUnmatchedArgumentsAllowed(true);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException) {
                cmd.getErr().println("berth: " + e.getMessage());
            } else {
                cmd.getErr().println("berth: " + e); // unexpected: its class helps a bug report
            }
            cmd.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version: the jar's, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Berth.class.getPackage().getImplementationVersion();
            return new String[] {"berth " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
