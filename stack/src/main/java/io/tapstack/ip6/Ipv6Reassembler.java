package io.tapstack.ip6;

import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.ip.FragmentBuffer;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6FragmentHeader;
import io.tapstack.wire.Ipv6Header;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * IPv6 reassembly (RFC 8200 §4.5) with hard bounds shared with IPv4's settings: datagrams
 * and bytes under reassembly, fragments per datagram, and a 60-second timeout after which
 * Time Exceeded code 1 goes to the source if the first fragment arrived.
 *
 * <p>Overlapping fragments make the whole datagram be discarded, including fragments still to
 * come (RFC 5722 §4): the datagram is kept "poisoned" until its timer expires. Exact duplicates
 * are dropped alone (RFC 8200 §4.5 permits this).
 */
public final class Ipv6Reassembler {
    private record Key(long sHi, long sLo, long dHi, long dLo, int id) {
    }

    private final class Datagram {
        final Key key;
        final FragmentBuffer frags = new FragmentBuffer();
        /** Unfragmentable part of the first fragment (IPv6 header and the headers before the Fragment header). */
        byte[] unfragmentable;
        /** Offset (within the unfragmentable part) of the Next Header field that named the Fragment header. */
        int nhFieldRel;
        int nextHeader;
        /** The first fragment's leading bytes, quoted by Time Exceeded. */
        byte[] firstQuote;
        boolean mcast;
        boolean poisoned;
        final Timer timer = new Timer(this::expire);

        Datagram(Key key) {
            this.key = key;
        }

        void expire(long now) {
            if (!poisoned) {
                counters.inc(Ipv6Counter.REASSEMBLY_TIMEOUT);
                counters.inc(Ipv6Counter.DROP_FRAG_TIMEOUT);
                // RFC 8200 §4.5: Time Exceeded code 1 only if the first fragment was received.
                if (firstQuote != null && !mcast) {
                    ip.icmp6().sendErrorQuoting(firstQuote, Icmpv6.TIME_EXCEEDED, Icmpv6.TIME_EXCEEDED_REASSEMBLY, 0);
                }
            }
            discard(this);
        }
    }

    private final StackContext ctx;
    private final Ipv6 ip;
    private final StackConfig config;
    private final Counters<Ipv6Counter> counters;
    private final Map<Key, Datagram> pending = new HashMap<>();
    private long bytes;

    Ipv6Reassembler(StackContext ctx, StackConfig config, Ipv6 ip, Counters<Ipv6Counter> counters) {
        this.ctx = ctx;
        this.ip = ip;
        this.config = config;
        this.counters = counters;
    }

    public int inProgress() {
        return pending.size();
    }

    public long bytesHeld() {
        return bytes;
    }

    /** Takes a fragment whose Fragment header is at {@code at}. Takes ownership of {@code p}. */
    void input(PacketBuf p, Ipv6FragmentHeader fh, int at, int nhField, boolean mcast) {
        try {
            add(p, fh, at, nhField, mcast);
        } finally {
            p.release();
        }
    }

    private void add(PacketBuf p, Ipv6FragmentHeader fh, int at, int nhField, boolean mcast) {
        ByteBuffer b = p.buf();
        int l3 = p.l3;
        int dataAt = at + Ipv6FragmentHeader.LENGTH;
        int len = p.end() - dataAt;
        int off = fh.fragmentOffset();
        boolean more = fh.moreFragments();
        int unfragLen = at - l3;
        if (more && (len & 7) != 0) {
            // RFC 8200 §4.5: not a multiple of 8 with M set → Parameter Problem code 0 pointing
            // at the fragment's Payload Length.
            counters.inc(Ipv6Counter.DROP_FRAG_BAD_LENGTH);
            ip.icmp6().sendParamProblem(p, Icmpv6.PARAM_HEADER_FIELD, Ipv6Header.PAYLOAD_LENGTH, false);
            return;
        }
        if (len == 0) {
            counters.inc(Ipv6Counter.DROP_FRAG_BAD_LENGTH);
            return;
        }
        if (unfragLen - Ipv6Header.LENGTH + off + len > 65535) {
            // RFC 8200 §4.5: the reassembled Payload Length would exceed 65535 → Parameter
            // Problem code 0 pointing at the Fragment Offset field.
            counters.inc(Ipv6Counter.DROP_FRAG_OVERSIZE);
            ip.icmp6().sendParamProblem(p, Icmpv6.PARAM_HEADER_FIELD, at + Ipv6FragmentHeader.OFFSET_FLAGS - l3, false);
            return;
        }
        if (off == 0 && !chainComplete(b, fh.nextHeader(), dataAt, p.end())) {
            // RFC 8200 §4.5 / RFC 7112 §5: the first fragment must hold the whole header chain
            // up to the upper-layer header → discard, Parameter Problem code 3 (pointer 0).
            counters.inc(Ipv6Counter.DROP_FRAG_INCOMPLETE_CHAIN);
            ip.icmp6().sendParamProblem(p, Icmpv6.PARAM_HEADER_CHAIN, 0, false);
            return;
        }
        Key key = new Key(b.getLong(l3 + Ipv6Header.SRC), b.getLong(l3 + Ipv6Header.SRC + 8),
                b.getLong(l3 + Ipv6Header.DST), b.getLong(l3 + Ipv6Header.DST + 8), fh.identification());
        Datagram d = pending.get(key);
        if (d == null) {
            if (pending.size() >= config.reassemblyMaxDatagrams) {
                counters.inc(Ipv6Counter.DROP_FRAG_LIMIT);
                return;
            }
            if (bytes + FragmentBuffer.INITIAL_BYTES > config.reassemblyMaxBytes) {
                counters.inc(Ipv6Counter.DROP_FRAG_LIMIT);
                return;
            }
            if (ctx.memory().state() == MemoryBudget.State.HARD) {
                ctx.memory().refused(MemCounter.DROP_REASSEMBLY); // issue 11: no new datagram at the memory limit
                counters.inc(Ipv6Counter.DROP_FRAG_LIMIT);
                return;
            }
            d = new Datagram(key);
            d.mcast = mcast;
            pending.put(key, d);
            bytes += d.frags.capacity();
            ctx.memory().charge(MemoryBudget.Kind.REASSEMBLY, d.frags.capacity());
            ctx.timers().schedule(d.timer, ctx.now() + config.ipv6ReassemblyTimeoutNanos);
        }
        if (d.poisoned) {
            // RFC 5722 §4: fragments of a datagram that had overlaps are discarded too.
            counters.inc(Ipv6Counter.DROP_FRAG_OVERLAP);
            return;
        }
        FragmentBuffer.Outcome o = d.frags.add(b, dataAt, off, len, more, config.reassemblyMaxFragmentsPerDatagram,
                this::reserve);
        switch (o) {
            case ACCEPTED -> { }
            case DUPLICATE -> {
                // RFC 8200 §4.5: an exact duplicate may be dropped alone.
                counters.inc(Ipv6Counter.DROP_FRAG_DUPLICATE);
                return;
            }
            case OVERLAP -> {
                // RFC 5722 §4: overlap → silently discard the datagram and the rest of it.
                counters.inc(Ipv6Counter.DROP_FRAG_OVERLAP);
                poison(d);
                return;
            }
            default -> {
                counters.inc(o == FragmentBuffer.Outcome.BAD_LENGTH ? Ipv6Counter.DROP_FRAG_BAD_LENGTH
                        : o == FragmentBuffer.Outcome.TOO_MANY ? Ipv6Counter.DROP_FRAG_TOO_MANY : Ipv6Counter.DROP_FRAG_LIMIT);
                discard(d);
                return;
            }
        }
        if (off == 0) {
            // RFC 8200 §4.5: the unfragmentable part comes from the first fragment.
            d.unfragmentable = new byte[unfragLen];
            b.get(l3, d.unfragmentable, 0, unfragLen);
            d.nhFieldRel = nhField - l3;
            d.nextHeader = b.get(at + Ipv6FragmentHeader.NEXT_HEADER) & 0xff;
            int q = Math.min(p.end() - l3, Icmp6Limits.MAX_QUOTE);
            d.firstQuote = new byte[q];
            b.get(l3, d.firstQuote, 0, q);
        }
        if (d.frags.isComplete() && d.unfragmentable != null) {
            complete(d);
        }
    }

    /** Whether the extension headers from {@code nh} at {@code at} end (at an upper layer) before {@code end}. */
    private static boolean chainComplete(ByteBuffer b, int nh, int at, int end) {
        for (int i = 0; i < Ipv6.MAX_EXT_HEADERS; i++) {
            if (nh == Ipv6Header.NH_HOP_BY_HOP || nh == Ipv6Header.NH_ROUTING || nh == Ipv6Header.NH_DEST_OPTIONS) {
                if (at + 2 > end) {
                    return false;
                }
                int l = ((b.get(at + 1) & 0xff) + 1) * 8;
                nh = b.get(at) & 0xff;
                at += l;
                if (at > end) {
                    return false;
                }
            } else if (nh == Ipv6Header.NH_FRAGMENT) {
                return at + Ipv6FragmentHeader.LENGTH <= end;
            } else {
                // upper layer (or No Next Header): its first byte must be present unless none follows
                return nh == Ipv6Header.NH_NONE || at < end;
            }
        }
        return false;
    }



    private void complete(Datagram d) {
        int ul = d.unfragmentable.length;
        int total = ul + d.frags.total();
        PacketBuf out = ctx.allocate(total);
        if (out == null) {
            counters.inc(Ipv6Counter.DROP_NO_BUFFER);
            discard(d);
            return;
        }
        int at = out.append(total);
        ByteBuffer ob = out.buf();
        ob.put(at, d.unfragmentable, 0, ul);
        ob.put(at + ul, d.frags.data(), 0, d.frags.total());
        // RFC 8200 §4.5: the Next Header of the last unfragmentable header takes the Fragment
        // header's value, and the Payload Length covers the reassembled packet.
        ob.put(at + d.nhFieldRel, (byte) d.nextHeader);
        ob.putShort(at + Ipv6Header.PAYLOAD_LENGTH, (short) (total - Ipv6Header.LENGTH));
        out.l3 = at;
        boolean mcast = d.mcast;
        int nh = d.nextHeader;
        int nhField = at + d.nhFieldRel;
        discard(d);
        counters.inc(Ipv6Counter.REASSEMBLED);
        ip.process(out, nh, at + ul, nhField, mcast);
    }

    private void poison(Datagram d) {
        d.poisoned = true;
        int freed = d.frags.release();
        bytes -= freed;
        ctx.memory().release(MemoryBudget.Kind.REASSEMBLY, freed);
    }

    private boolean reserve(int n) {
        // issue 11: within this reassembler's bound and the loop's memory budget
        if (bytes + n > config.reassemblyMaxBytes
                || !ctx.memory().tryCharge(MemoryBudget.Kind.REASSEMBLY, n, MemCounter.DROP_REASSEMBLY)) {
            return false;
        }
        bytes += n;
        return true;
    }

    private void discard(Datagram d) {
        ctx.timers().cancel(d.timer);
        if (pending.remove(d.key) != null) {
            bytes -= d.frags.capacity();
            ctx.memory().release(MemoryBudget.Kind.REASSEMBLY, d.frags.capacity());
        }
    }
}
