package io.ckpt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ckpt} client: every subcommand but {@code server}, which bin/ckpt runs from the server jar. */
@Command(
        name = "ckpt",
        mixinStandardHelpOptions = true,
        version = "ckpt 0.1.0",
        usageHelpAutoWidth = true,
        description = {
            "ckpt stores WPAR checkpoint images (chkptwpar statefiles, file-system images, any stream) on a checkpoint server, deduplicated and compressed, and restores them bit for bit.",
            "",
            "  ckpt server ...   run the server (see 'ckpt server --help')"
        },
        subcommands = {PushCommand.class, ListCommand.class, ShowCommand.class, RestoreCommand.class,
                MarkCommand.Good.class, MarkCommand.Bad.class, ProtectCommand.On.class, ProtectCommand.Off.class, PruneCommand.class, GcCommand.class, VerifyCommand.class, AlertsCommand.class, AuditCommand.class,
                AgentCommand.class, StatusCommand.class, MoveCommands.Hosts.class, MoveCommands.Relocate.class,
                MoveCommands.Failover.class, MoveCommands.Rebalance.class, HostCommands.class,
                CommandLine.HelpCommand.class},
        footer = {
            "",
            "Client commands reach the server at --server HOST:PORT, else $CKPT_SERVER, else 127.0.0.1:7420.",
            "",
            "Exit status: 0 success, 1 error, 2 bad usage, 3 not found, 4 server unreachable, 5 data damaged, 6 disk full, 7 refused, 8 WPAR not started (restore --start), 9 not authenticated.",
            ""
        })
public final class CkptMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit status (tests call this in-process). */
    public static int execute(String... args) {
        return new CommandLine(new CkptMain()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand");
    }
}
