package io.tapstack.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code java -jar benchmarks/target/tapstack-bench.jar}: what compares tapstack with others,
 * kept out of the {@code tapstack} command line — the Netty comparison server, the 1-byte
 * round-trip client and the JMH micro-benchmarks. {@code scripts/bench.sh} drives the first two.
 * A user mistake gets one line on stderr and a non-zero exit, never a stack trace.
 */
@Command(name = "tapstack-bench",
        mixinStandardHelpOptions = true,
        versionProvider = BenchMain.Version.class,
        description = "tapstack's benchmark tools: a Netty baseline server, a round-trip client, JMH.",
        subcommands = {NettyHttpCommand.class, NettyExampleCommand.class, RrCommand.class, JmhCommand.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    /** Exit code for bad usage. */
    public static final int EXIT_USAGE = 2;
    /** Exit code for a failure the user can fix. */
    public static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BenchMain());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage().split("\n")[0];
            err.println("tapstack-bench: " + msg + " (try 'tapstack-bench help " + ex.getCommandLine().getCommandName()
                    .replace("tapstack-bench", "").trim() + "')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof BenchError || ex instanceof IllegalArgumentException) {
                err.println("tapstack-bench: " + ex.getMessage());
                err.flush();
                return EXIT_FAILURE;
            }
            err.println("tapstack-bench: internal error: " + ex);
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
            String v = BenchMain.class.getPackage().getImplementationVersion();
            return new String[] {"tapstack-bench " + (v == null ? "dev" : v) + " (Java " + System.getProperty("java.version") + ")"};
        }
    }
}
