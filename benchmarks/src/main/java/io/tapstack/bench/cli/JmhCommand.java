package io.tapstack.bench.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tapstack-bench jmh [JMH args]}: JMH's own command line over the micro-benchmarks in
 * {@code io.tapstack.bench} (e.g. {@code jmh -l}, {@code jmh -h}, {@code jmh -f 1 WireBench}).
 */
@Command(name = "jmh",
        description = "JMH micro-benchmarks: every argument goes to JMH (try 'jmh -l' to list, 'jmh -h' for JMH's options).")
public final class JmhCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // JMH exits the JVM itself (status 1) on a bad option or a failed run
        org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        return 0;
    }
}
