package io.tapstack.ip;

import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * IPv4 reassembly (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2), with hard bounds: at most
 * {@link StackConfig#reassemblyMaxDatagrams} datagrams and {@link StackConfig#reassemblyMaxBytes}
 * bytes under reassembly, {@link StackConfig#reassemblyMaxFragmentsPerDatagram} fragments each.
 *
 * <p>Fragments may arrive in any order; exact duplicates are ignored; a fragment that overlaps
 * another differently makes the whole datagram be discarded (an overlap is either an attack or
 * a broken sender; RFC 5722 takes the same line for IPv6 and Linux for IPv4). A datagram not
 * complete within the timeout is discarded, with ICMP Time Exceeded (code 1) sent if its first
 * fragment had arrived (RFC 792, RFC 1122 §3.3.2).
 *
 * <p>At a bound, the oldest datagram under reassembly gives way to the new one (counted as
 * {@code drop_frag_evicted}) rather than the new one being refused: a flood of fragments that never
 * complete (RFC 8900 §3.7) would otherwise hold every slot for the whole timeout and refuse all
 * legitimate fragmented traffic, while with eviction a datagram whose fragments arrive together
 * completes unless the flood brings more new datagrams than the bound within that time.
 */
public final class Ipv4Reassembler {
    private record Key(int src, int dst, int proto, int id) {
    }

    private final class Datagram {
        final Key key;
        final FragmentBuffer frags = new FragmentBuffer();
        /**
         * The first fragment's header and leading data (as much as an ICMP error quotes), for the
         * rebuilt datagram's header and the Time Exceeded that a timeout sends.
         */
        byte[] firstFragmentStart;
        final Timer timer = new Timer(this::expire);
        boolean bcast;

        Datagram(Key key) {
            this.key = key;
        }

        void expire(long now) {
            counters.inc(Ipv4Counter.REASSEMBLY_TIMEOUT);
            counters.inc(Ipv4Counter.DROP_FRAG_TIMEOUT);
            if (firstFragmentStart != null && !bcast) {
                ip.icmp().sendErrorQuoting(firstFragmentStart, Icmpv4.TIME_EXCEEDED, Icmpv4.TIME_EXCEEDED_REASSEMBLY, 0);
            }
            discard(this);
        }
    }

    private final StackContext ctx;
    private final Ipv4 ip;
    private final StackConfig config;
    private final Counters<Ipv4Counter> counters;
    /** In creation order: the first is the oldest, evicted first. */
    private final Map<Key, Datagram> pending = new LinkedHashMap<>();
    private long bytes;
    /** The datagram whose fragment is being added: {@link #reserve} never evicts it. */
    private Datagram growing;
    private final FragmentBuffer.Budget budget = this::reserve;

    Ipv4Reassembler(StackContext ctx, StackConfig config, Ipv4 ip, Counters<Ipv4Counter> counters) {
        this.ctx = ctx;
        this.ip = ip;
        this.config = config;
        this.counters = counters;
    }

    private boolean reserve(int n) {
        if (n > config.reassemblyMaxBytes) {
            return false;
        }
        while (bytes + n > config.reassemblyMaxBytes) {
            if (!evictOldest(growing)) {
                return false;
            }
        }
        // issue 11: within the loop's memory budget too
        if (!ctx.memory().tryCharge(MemoryBudget.Kind.REASSEMBLY, n, MemCounter.DROP_REASSEMBLY)) {
            return false;
        }
        bytes += n;
        return true;
    }

    /** Discards the oldest datagram other than {@code keep}; false when there is none. */
    private boolean evictOldest(Datagram keep) {
        Iterator<Datagram> it = pending.values().iterator();
        while (it.hasNext()) {
            Datagram d = it.next();
            if (d != keep) {
                counters.inc(Ipv4Counter.DROP_FRAG_EVICTED);
                discard(d);
                return true;
            }
        }
        return false;
    }

    /** Datagrams currently under reassembly. */
    public int inProgress() {
        return pending.size();
    }

    /** Bytes currently held for reassembly. */
    public long bytesHeld() {
        return bytes;
    }

    /** Takes a validated fragment (window: its IP header onward, trimmed). Takes ownership. */
    void input(PacketBuf p, Ipv4Header h) {
        try {
            add(p, h);
        } finally {
            p.release();
        }
    }

    private void add(PacketBuf p, Ipv4Header h) {
        int hl = h.headerLength();
        int off = h.fragmentOffset();
        int len = h.payloadLength();
        boolean more = h.moreFragments();
        int end = off + len;
        if (end + hl > 65535) {
            // RFC 791: a datagram is at most 65535 bytes (the "ping of death").
            counters.inc(Ipv4Counter.DROP_FRAG_OVERSIZE);
            return;
        }
        if (len == 0 || (more && (len & 7) != 0)) {
            // every fragment but the last carries a multiple of 8 bytes (RFC 791 §3.2)
            counters.inc(Ipv4Counter.DROP_FRAG_BAD_LENGTH);
            return;
        }
        Key key = new Key(h.src(), h.dst(), h.protocol(), h.ident());
        Datagram d = pending.get(key);
        if (d == null) {
            // a new datagram's first buffer counts against the byte bound too; at either bound the
            // oldest datagram gives way (RFC 8900 §3.7: incomplete fragments must not lock others out)
            while (!pending.isEmpty() && (pending.size() >= config.reassemblyMaxDatagrams
                    || bytes + FragmentBuffer.INITIAL_BYTES > config.reassemblyMaxBytes)) {
                evictOldest(null);
            }
            if (config.reassemblyMaxDatagrams <= 0 || bytes + FragmentBuffer.INITIAL_BYTES > config.reassemblyMaxBytes) {
                counters.inc(Ipv4Counter.DROP_FRAG_LIMIT);
                return;
            }
            if (ctx.memory().state() == MemoryBudget.State.HARD) {
                ctx.memory().refused(MemCounter.DROP_REASSEMBLY); // issue 11: no new datagram at the memory limit
                counters.inc(Ipv4Counter.DROP_FRAG_LIMIT);
                return;
            }
            d = new Datagram(key);
            d.bcast = h.dst() == -1 || !ip.isLocal(h.dst());
            pending.put(key, d);
            bytes += d.frags.capacity();
            ctx.memory().charge(MemoryBudget.Kind.REASSEMBLY, d.frags.capacity());
            ctx.timers().schedule(d.timer, ctx.now() + config.reassemblyTimeoutNanos);
        }
        growing = d;
        FragmentBuffer.Outcome o = d.frags.add(p.buf(), h.payloadOffset(), off, len, more,
                config.reassemblyMaxFragmentsPerDatagram, budget);
        growing = null;
        switch (o) {
            case ACCEPTED -> { }
            case DUPLICATE -> {
                counters.inc(Ipv4Counter.DROP_FRAG_DUPLICATE);
                return;
            }
            default -> {
                counters.inc(switch (o) {
                    case OVERLAP -> Ipv4Counter.DROP_FRAG_OVERLAP;
                    case BAD_LENGTH -> Ipv4Counter.DROP_FRAG_BAD_LENGTH;
                    case TOO_MANY -> Ipv4Counter.DROP_FRAG_TOO_MANY;
                    default -> Ipv4Counter.DROP_FRAG_LIMIT;
                });
                discard(d);
                return;
            }
        }
        if (off == 0) {
            // RFC 1812 §4.3.2.3 (as Linux, which quotes the first fragment up to 576 octets): the
            // Time Exceeded of RFC 792 carries as much of it as fits, not only header + 8 octets.
            int q = Math.min(Icmp.MAX_QUOTE, h.totalLength());
            d.firstFragmentStart = new byte[q];
            p.buf().get(p.start(), d.firstFragmentStart, 0, q);
        }
        if (d.frags.isComplete() && d.firstFragmentStart != null) {
            complete(d);
        }
    }



    private void complete(Datagram d) {
        int hl = (d.firstFragmentStart[0] & 0x0f) * 4;
        int total = hl + d.frags.total();
        PacketBuf out = ctx.allocate(total);
        if (out == null) {
            counters.inc(Ipv4Counter.DROP_NO_BUFFER);
            discard(d);
            return;
        }
        int at = out.append(total);
        out.buf().put(at, d.firstFragmentStart, 0, hl);
        out.buf().put(at + hl, d.frags.data(), 0, d.frags.total());
        // The rebuilt header: full length, no fragmentation fields; checksum no longer checked.
        out.buf().putShort(at + Ipv4Header.TOTAL_LENGTH, (short) total);
        out.buf().putShort(at + Ipv4Header.FLAGS_FRAG, (short) 0);
        out.buf().putShort(at + Ipv4Header.CHECKSUM, (short) 0);
        out.buf().putShort(at + Ipv4Header.CHECKSUM,
                (short) io.tapstack.wire.Checksum.compute(out.buf(), at, hl));
        out.l3 = at;
        boolean bcast = d.bcast;
        discard(d);
        counters.inc(Ipv4Counter.REASSEMBLED);
        ip.deliver(out, bcast);
    }

    private void discard(Datagram d) {
        ctx.timers().cancel(d.timer);
        if (pending.remove(d.key) != null) {
            bytes -= d.frags.capacity();
            ctx.memory().release(MemoryBudget.Kind.REASSEMBLY, d.frags.capacity());
        }
    }
}
