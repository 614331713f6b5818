package io.tapstack;

import io.tapstack.context.StackConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.link.FaultyLink;
import io.tapstack.link.Link;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.wire.MacAddress;

import java.util.function.BooleanSupplier;

/**
 * Test fixture: two stacks, A (10.0.0.1) and B (10.0.0.2), on an in-memory wire (optionally
 * faulty), driven on one virtual clock.
 */
public final class TwoHosts {
    public final VirtualClock clock = new VirtualClock();
    public final PairLink wireA;
    public final PairLink wireB;
    public final FaultyLink faultyA;
    public final FaultyLink faultyB;
    public final NetStack a;
    public final NetStack b;
    public static final int IP_A = 0x0a000001;
    public static final int IP_B = 0x0a000002;

    public TwoHosts() {
        this(1500, -1);
    }

    /** @param seed ≥ 0 to put a {@link FaultyLink} (no faults until configured) on each end */
    public TwoHosts(int mtu, long seed) {
        this(mtu, seed, c -> {
        });
    }

    /** As {@link #TwoHosts(int, long)}, with {@code tweak} applied to both configs before the stacks are built. */
    public TwoHosts(int mtu, long seed, java.util.function.Consumer<StackConfig> tweak) {
        this(mtu, seed, tweak, new io.tapstack.tcp.TcpConfig());
    }

    /** As {@link #TwoHosts(int, long, java.util.function.Consumer)}, both hosts' TCP built with {@code tcp}. */
    public TwoHosts(int mtu, long seed, java.util.function.Consumer<StackConfig> tweak, io.tapstack.tcp.TcpConfig tcp) {
        PairLink[] w = PairLink.create(mtu);
        wireA = w[0];
        wireB = w[1];
        Link la = wireA;
        Link lb = wireB;
        if (seed >= 0) {
            faultyA = new FaultyLink(wireA, clock, seed);
            faultyB = new FaultyLink(wireB, clock, seed + 1);
            la = faultyA;
            lb = faultyB;
        } else {
            faultyA = faultyB = null;
        }
        StackConfig ca = config(IP_A, 0x020000000001L);
        StackConfig cb = config(IP_B, 0x020000000002L);
        tweak.accept(ca);
        tweak.accept(cb);
        a = new NetStack(la, ca, tcp, clock);
        b = new NetStack(lb, cb, tcp, clock);
    }

    public static StackConfig config(int ip, long mac) {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(mac);
        c.ipv4.add(new InterfaceAddress(ip, 24));
        return c;
    }

    /** Polls both stacks until neither has frames pending (bounded). */
    public void settle() {
        for (int i = 0; i < 10_000; i++) {
            a.poll(clock.nanos());
            b.poll(clock.nanos());
            if (wireA.pending() == 0 && wireB.pending() == 0) {
                return;
            }
        }
        throw new AssertionError("wire did not settle");
    }

    /** Advances time in steps of {@code stepNanos}, polling both stacks, for {@code totalNanos}. */
    public void run(long totalNanos, long stepNanos) {
        long end = clock.nanos() + totalNanos;
        while (clock.nanos() < end) {
            settle();
            clock.advance(Math.min(stepNanos, end - clock.nanos()));
        }
        settle();
    }

    /** Steps time until {@code cond} holds; fails after {@code maxNanos} of virtual time. */
    public void until(BooleanSupplier cond, long maxNanos, long stepNanos) {
        long end = clock.nanos() + maxNanos;
        settle();
        while (!cond.getAsBoolean()) {
            if (clock.nanos() >= end) {
                throw new AssertionError("condition not met within " + maxNanos / 1_000_000 + " ms of virtual time");
            }
            clock.advance(stepNanos);
            settle();
        }
    }
}
