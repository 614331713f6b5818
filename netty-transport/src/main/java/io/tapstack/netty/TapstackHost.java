package io.tapstack.netty;

import io.netty.util.concurrent.FastThreadLocalThread;
import io.tapstack.EventLoop;
import io.tapstack.JitWarmUp;
import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.link.Link;
import io.tapstack.loop.Clock;
import io.tapstack.loop.IdlePolicy;
import io.tapstack.tap.OffloadSpec;
import io.tapstack.tap.TapLink;
import io.tapstack.tcp.TcpConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv6InterfaceAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A tapstack host in one call, for Netty: attach to a TAP (created if absent, in the current
 * network namespace) with its addresses, offloads and queues, one stack and one event loop per
 * queue, and a {@link TapstackEventLoopGroup} over those loops.
 *
 * <pre>{@code
 * try (TapstackHost host = TapstackHost.tap("tap0").ipv4("10.0.0.2/24").open()) {
 *     new ServerBootstrap().group(host.group()).channel(TapstackServerSocketChannel.class)
 *             .childHandler(...).bind(8080).sync().channel().closeFuture().sync();
 * }
 * }</pre>
 */
public final class TapstackHost implements AutoCloseable {
    private final List<Link> links;
    private final List<NetStack> stacks;
    private final TapstackEventLoopGroup group;

    private TapstackHost(List<Link> links, List<NetStack> stacks, TapstackEventLoopGroup group) {
        this.links = List.copyOf(links);
        this.stacks = List.copyOf(stacks);
        this.group = group;
    }

    /** Starts describing a host on the TAP device {@code name}. */
    public static Builder tap(String name) {
        return new Builder(name);
    }

    /**
     * A host on links that already exist (one per queue; an in-memory wire in tests), each
     * with a stack built from {@code config} and a running loop.
     */
    public static TapstackHost onLinks(List<? extends Link> links, StackConfig config, TcpConfig tcp) {
        return onLinks(links, config, tcp, DEFAULT_IDLE);
    }

    /**
     * As {@link #onLinks(List, StackConfig, TcpConfig)}, each loop with its own idle policy from
     * {@code idle} (e.g. {@code IdlePolicy::hybrid}, what {@code tapstack run} uses by default).
     */
    public static TapstackHost onLinks(List<? extends Link> links, StackConfig config, TcpConfig tcp,
            Supplier<IdlePolicy> idle) {
        List<NetStack> stacks = new ArrayList<>();
        List<EventLoop> loops = new ArrayList<>();
        try {
            for (int i = 0; i < links.size(); i++) {
                NetStack s = new NetStack(links.get(i), config, tcp, Clock.SYSTEM);
                EventLoop l = loop(s, "tapstack-netty-" + links.get(i).name() + (links.size() > 1 ? "-q" + i : ""), idle.get());
                stacks.add(s);
                loops.add(l);
                l.start();
            }
            if (stacks.size() > 1) {
                shareNeighbourDiscovery(stacks, loops);
            }
            return new TapstackHost(new ArrayList<>(links), stacks, new TapstackEventLoopGroup(loops, true));
        } catch (RuntimeException | Error e) {
            for (EventLoop l : loops) {
                l.close();
            }
            throw e;
        }
    }

    /**
     * A loop on a {@link FastThreadLocalThread}, as Netty's own event loops run: Netty's pooled
     * and adaptive allocators keep a buffer cache per such thread and its {@code Recycler} pools
     * objects (outbound buffer entries, buffers) only there; on a plain thread every request
     * allocates them anew and shares the allocator's magazines under a lock.
     */
    private static EventLoop loop(NetStack s, String name, IdlePolicy idle) {
        return new EventLoop(s, idle, r -> new FastThreadLocalThread(r, name));
    }

    /**
     * The transport's default, as {@code tapstack run}'s: a 20 µs spin after work and a spin
     * across the window where a regular arrival is due, sleeping otherwise. With one HTTP
     * connection (each request after the last answer) it served 1.41× the requests of a loop that
     * always sleeps, for ~2 µs more CPU per request (scripts/bench-netty.sh --idle-both,
     * docs/performance.md).
     */
    private static final Supplier<IdlePolicy> DEFAULT_IDLE = IdlePolicy::hybrid;

    /** ARP and neighbour discovery reach one queue; every queue's stack must learn them (as {@code tapstack run}). */
    private static void shareNeighbourDiscovery(List<NetStack> stacks, List<EventLoop> loops) {
        for (int i = 0; i < stacks.size(); i++) {
            NetStack me = stacks.get(i);
            me.setFanout((buf, off, len) -> {
                byte[] copy = new byte[len];
                buf.get(off, copy);
                for (int j = 0; j < stacks.size(); j++) {
                    if (stacks.get(j) != me) {
                        NetStack other = stacks.get(j);
                        try {
                            loops.get(j).execute(() -> other.receiveMirrored(copy));
                        } catch (IllegalStateException stopping) {
                            // that queue is stopping
                        }
                    }
                }
            });
        }
    }

    /** The group to give {@code ServerBootstrap.group(...)} or {@code Bootstrap.group(...)}. */
    public TapstackEventLoopGroup group() {
        return group;
    }

    /** The stacks, one per queue. */
    public List<NetStack> stacks() {
        return stacks;
    }

    /** Shuts the group down (closing its channels), stops the loops and closes the links. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        for (Link l : links) {
            l.close();
        }
    }

    /** What {@link #tap(String)} sets up. */
    public static final class Builder {
        private final String tap;
        private final StackConfig config = new StackConfig();
        private final TcpConfig tcp = new TcpConfig();
        private String offloads = "none";
        private int queues = 1;
        private int mtu;
        private Supplier<IdlePolicy> idle = DEFAULT_IDLE;
        private boolean warmUp = true;

        private Builder(String tap) {
            this.tap = tap;
            config.ipv6Auto = false;
        }

        /** An IPv4 address with its prefix length, e.g. {@code 10.0.0.2/24} (repeatable). */
        public Builder ipv4(String addressAndPrefix) {
            config.ipv4.add(InterfaceAddress.parse(addressAndPrefix));
            return this;
        }

        /** An IPv6 address with its prefix length, e.g. {@code fd00::2/64} (repeatable). */
        public Builder ipv6(String addressAndPrefix) {
            config.ipv6.add(Ipv6InterfaceAddress.parse(addressAndPrefix));
            return this;
        }

        /** The default IPv4 gateway. */
        public Builder gateway(String address) {
            config.gateway4 = Ipv4Address.parse(address);
            return this;
        }

        /** virtio-net offloads: {@code none}, or any of {@code csum,tso,lro}. */
        public Builder offloads(String spec) {
            OffloadSpec.parse(spec); // fail early on a typo
            this.offloads = spec;
            return this;
        }

        /** Queues of a multi-queue TAP, one stack and loop each (default 1). */
        public Builder queues(int n) {
            if (n < 1 || n > 16) {
                throw new IllegalArgumentException("queues must be 1..16");
            }
            this.queues = n;
            return this;
        }

        /** The IP MTU (default: the TAP's). */
        public Builder mtu(int mtu) {
            this.mtu = mtu;
            return this;
        }

        /**
         * The loops' idle policy, one from {@code policy} per loop (default {@code IdlePolicy::hybrid},
         * as {@code tapstack run}: spins briefly after work and across the window where a regular
         * arrival is due, lower latency for a little CPU; {@code () -> IdlePolicy.spinOnly(0)}
         * sleeps whenever idle, docs/performance.md).
         */
        public Builder idle(Supplier<IdlePolicy> policy) {
            this.idle = java.util.Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Whether the host trains the JIT on two private stacks once it is open (default true, as
         * {@code tapstack run}; ends within 1.5 s, sooner once 500 real frames have flowed: see
         * {@link JitWarmUp}). Without it, a fresh host's first packets run in the interpreter.
         */
        public Builder warmUp(boolean on) {
            this.warmUp = on;
            return this;
        }

        /** Any other setting of the stack. */
        public Builder configure(Consumer<StackConfig> c) {
            c.accept(config);
            return this;
        }

        /** Any setting of TCP. */
        public Builder tcp(Consumer<TcpConfig> c) {
            c.accept(tcp);
            return this;
        }

        /** Opens the TAP's queues, starts one loop per queue and returns the host. */
        public TapstackHost open() {
            List<TapLink> links = new ArrayList<>();
            try {
                for (int i = 0; i < queues; i++) {
                    TapLink l = TapLink.open(tap, mtu, OffloadSpec.parse(offloads), queues > 1);
                    links.add(l);
                    if (i == 0) {
                        if (l.device().created()) {
                            l.device().setUp();
                        }
                        try {
                            l.device().setTxQueueLength(10_000); // a sleeping reader overflows 1000 (DESIGN.md)
                        } catch (RuntimeException ignored) {
                            // only a shallower queue
                        }
                    }
                }
                config.mtu = links.get(0).mtu();
                // disjoint ephemeral ports per queue, so two queues never choose the same flow
                TapstackHost h = queues > 1 ? onQueues(links) : onLinks(links, config, tcp, idle);
                if (warmUp) {
                    JitWarmUp.startFor(h.stacks);
                }
                return h;
            } catch (RuntimeException | Error e) {
                for (TapLink l : links) {
                    l.close();
                }
                throw e;
            }
        }

        private TapstackHost onQueues(List<TapLink> links) {
            List<NetStack> stacks = new ArrayList<>();
            List<EventLoop> loops = new ArrayList<>();
            int span = (config.ephemeralPortHigh - config.ephemeralPortLow + 1) / links.size();
            try {
                for (int i = 0; i < links.size(); i++) {
                    StackConfig c = copyFor(i, span);
                    TcpConfig t = new TcpConfig();
                    t.ephemeralLow = c.ephemeralPortLow;
                    t.ephemeralHigh = c.ephemeralPortHigh;
                    NetStack s = new NetStack(links.get(i), c, t, Clock.SYSTEM);
                    EventLoop l = loop(s, "tapstack-netty-" + tap + "-q" + i, idle.get());
                    stacks.add(s);
                    loops.add(l);
                }
                shareNeighbourDiscovery(stacks, loops);
                for (EventLoop l : loops) {
                    l.start();
                }
                return new TapstackHost(new ArrayList<>(links), stacks, new TapstackEventLoopGroup(loops, true));
            } catch (RuntimeException | Error e) {
                for (EventLoop l : loops) {
                    l.close();
                }
                throw e;
            }
        }

        /** One queue's config: the same host (MAC, addresses, RFC 7217 secret), its own ports. */
        private StackConfig copyFor(int queue, int span) {
            StackConfig c = new StackConfig();
            c.mac = config.mac;
            c.ipv6StableSecret = config.ipv6StableSecret;
            c.ipv4.addAll(config.ipv4);
            c.ipv6.addAll(config.ipv6);
            c.gateway4 = config.gateway4;
            c.gateway6 = config.gateway6;
            c.ipv6Auto = config.ipv6Auto;
            c.ipv6Enabled = config.ipv6Enabled;
            c.mtu = config.mtu;
            c.ephemeralPortLow = config.ephemeralPortLow + queue * span;
            c.ephemeralPortHigh = c.ephemeralPortLow + span - 1;
            return c;
        }
    }
}
