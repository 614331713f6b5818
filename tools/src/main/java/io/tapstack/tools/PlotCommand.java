package io.tapstack.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code tapstack plot FILE -o OUT.png|OUT.svg}: the plot of {@code tapstack trace FILE --plot OUT}. */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Plot a TCP trace (from 'run --trace-tcp' or 'trace --host ... -w'): cwnd, ssthresh and in flight "
                + "with loss and recovery events, SRTT and RTO, and the sequence space over time; PNG or SVG by the "
                + "extension of OUT. The same as 'tapstack trace FILE --plot OUT'.")
public final class PlotCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "The trace file.")
    Path file;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.png|OUT.svg", description = "Where the plot goes.")
    Path out;

    @Option(names = "--conn", paramLabel = "ID", description = "This connection (default: the one with the most records).")
    Long conn;

    @Override
    public Integer call() throws IOException {
        return TraceCommand.plot(TraceCommand.connections(file, conn), file, out, System.out);
    }
}
