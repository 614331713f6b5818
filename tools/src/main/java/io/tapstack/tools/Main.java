package io.tapstack.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code tapstack} command line. A user mistake gets one line on stderr and a non-zero
 * exit, never a stack trace.
 */
@Command(name = "tapstack",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A userspace TCP/IP stack in Java on a Linux TAP device.",
        subcommands = {RunCommand.class, GetCommand.class, ResolveCommand.class, StatCommand.class, CaptureCommand.class, BpfCommand.class, ExtcapCommand.class, TraceCommand.class, PlotCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad usage. */
    public static final int EXIT_USAGE = 2;
    /** Exit code for a failure the user can fix (permissions, missing device, …). */
    public static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        Logs.install(System.err);
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cl = commandLine();
        if (args.length > 0 && args[0].equals("run")) {
            // a router: each --tap after the first takes the interface options that follow it
            RunCommand.Split sp = RunCommand.split(args);
            ((RunCommand) cl.getSubcommands().get("run").getCommand()).moreInterfaces = sp.interfaces();
            return cl.execute(sp.head());
        }
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage().split("\n")[0];
            err.println("tapstack: " + msg + " (try 'tapstack help " + ex.getCommandLine().getCommandName()
                    .replace("tapstack", "").trim() + "')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof UserError || ex instanceof io.tapstack.tap.TapException
                    || ex instanceof IllegalArgumentException) {
                err.println("tapstack: " + ex.getMessage());
                err.flush();
                return EXIT_FAILURE;
            }
            err.println("tapstack: internal error: " + ex);
            ex.printStackTrace(err);
            err.flush();
            return EXIT_FAILURE;
        });
        return cl;
    }

    /** Version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tapstack " + (v == null ? "dev" : v) + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
