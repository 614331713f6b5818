package io.tapstack.tools;

import io.tapstack.blocking.TapDns;
import io.tapstack.wire.IpAddr;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tapstack resolve NAME}: brings up a host on a TAP, looks a name up with the stack's own
 * DNS stub resolver (A and AAAA), prints one address a line, exits.
 */
@Command(name = "resolve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Look up a name's A and AAAA addresses with the host's DNS resolver (servers from --dns or DHCP).")
public final class ResolveCommand implements Callable<Integer> {
    @Mixin
    HostOptions host;

    @Parameters(index = "0", paramLabel = "NAME", description = "The name to look up.")
    String name;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "15", description = "Give up after this long (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        try (HostRuntime rt = host.open("tapstack-resolve-" + host.tap)) {
            List<IpAddr> addrs;
            try {
                addrs = TapDns.resolve(rt.loop, name, timeoutSeconds * 1000L);
            } catch (IOException e) {
                throw new UserError("resolve " + name + ": " + e.getMessage());
            }
            for (IpAddr a : addrs) {
                System.out.println(a);
            }
            return 0;
        }
    }
}
