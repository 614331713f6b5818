package io.tapstack.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code tapstack stat}: a running host's counters and tables, like netstat -s / ip neigh. */
@Command(name = "stat", mixinStandardHelpOptions = true,
        description = "Show a running host's counters (like netstat -s) or its ARP cache.")
public final class StatCommand implements Callable<Integer> {
    @Option(names = "--host", required = true, paramLabel = "TAP|SOCKET",
            description = "The host: its TAP name (socket /run/tapstack/NAME.sock) or its control socket path.")
    String host;

    @Option(names = {"-a", "--all"}, description = "Show zero counters too.")
    boolean all;

    @Option(names = "--arp", description = "Show the ARP cache instead of counters.")
    boolean arp;

    @Option(names = "--addr", description = "Show the host's addresses and their state (like ip addr).")
    boolean addr;

    @Option(names = "--neigh", description = "Show the IPv6 neighbour cache (like ip -6 neigh).")
    boolean neigh;

    @Option(names = "--routes", description = "Show the IPv4 routing table (like ip route): connected routes per interface, static routes.")
    boolean routes;

    @Override
    public Integer call() {
        String req = arp ? "arp" : addr ? "addr" : neigh ? "neigh" : routes ? "routes" : all ? "stat all" : "stat";
        ControlClient.request(ControlClient.resolve(host), req, System.out);
        return 0;
    }
}
