package io.tapstack.tools;

import io.tapstack.capture.BpfProgram;
import io.tapstack.capture.FilterCompiler;
import io.tapstack.capture.FilterSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tapstack bpf}: compiles a pcap-filter expression and prints the program like tcpdump -d/-dd/-ddd. */
@Command(name = "bpf", mixinStandardHelpOptions = true,
        description = "Compile a pcap-filter expression (linktype Ethernet) and print the classic BPF program.")
public final class BpfCommand implements Callable<Integer> {
    @Option(names = "-d", description = "Human-readable listing (like tcpdump -d; the default).")
    boolean d;

    @Option(names = "--dd", description = "As a C array (like tcpdump -dd).")
    boolean dd;

    @Option(names = "--ddd", description = "As decimal numbers (like tcpdump -ddd).")
    boolean ddd;

    @Option(names = "-O", description = "Do not optimise (like tcpdump -O).")
    boolean noOptimise;

    @Option(names = "-s", defaultValue = "262144", description = "Snap length returned on a match (default ${DEFAULT-VALUE}).")
    int snaplen;

    @Parameters(arity = "1..*", paramLabel = "EXPRESSION")
    List<String> words;

    @Override
    public Integer call() {
        BpfProgram p;
        try {
            p = FilterCompiler.compile(String.join(" ", words), snaplen, 0, !noOptimise);
        } catch (FilterSyntaxException e) {
            throw new UserError(e.getMessage());
        }
        String text = dd ? p.toDd() : ddd ? p.toDdd() : p.toDump();
        System.out.print(text.endsWith("\n") ? text : text + "\n");
        return 0;
    }
}
