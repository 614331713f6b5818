package io.tapstack.tcp;

import io.tapstack.link.VnetHeader;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.Ecn;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;

import static io.tapstack.wire.SeqNum.lt;

/**
 * Builds and sends the segments of one connection (FreeBSD's tcp_output.c tail, gVisor's
 * sendRaw): the header (RFC 9293 §3.1), the options of a SYN (MSS, RFC 7323 window scale and
 * timestamps, RFC 2018 SACK-permitted) or of any other segment (timestamps, SACK blocks), the
 * window to advertise, payload copied from the send ring, the pseudo-header checksum left to
 * the device or finished in software, and TSO metadata for a segment larger than the MSS.
 * Every segment is one pooled {@link PacketBuf}; nothing else allocates.
 */
final class SegmentWriter {
    /** A flag beside the header's for {@link #sendSegment}: never ECN-capable (a window probe, RFC 3168 §6.1.6). */
    static final int NOT_ECT = 0x1000;

    private final Tcp tcp;

    /** One per stack: it keeps no state of its own, the connection is passed in. */
    SegmentWriter(Tcp tcp) {
        this.tcp = tcp;
    }

    /** An ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (with our window, timestamps, SACK blocks). */
    void sendAck(TcpConnection c) {
        sendSegment(c, c.snd.nxt, TcpHeader.ACK_FLAG, 0, 0);
    }

    /** SYN (active) or SYN,ACK (passive/simultaneous) with the options we offer or accept. */
    void sendSyn(TcpConnection c, boolean withAck) {
        int flags = TcpHeader.SYN | (withAck ? TcpHeader.ACK_FLAG : 0);
        // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR, an ECN-setup SYN-ACK ECE alone
        if (!withAck && c.offerEcn) {
            flags |= TcpHeader.ECE | TcpHeader.CWR;
        } else if (withAck && c.ecnOk) {
            flags |= TcpHeader.ECE;
        }
        sendSegment(c, c.snd.iss, flags, 0, 0);
    }

    /** Builds and sends one segment; {@code off}/{@code len} select bytes of the send ring. */
    boolean sendSegment(TcpConnection c, int seq, int flags, int off, int len) {
        TcpReceiver rcv = c.rcv;
        TcpSender snd = c.snd;
        boolean syn = (flags & TcpHeader.SYN) != 0;
        int tos = Ecn.NOT_ECT;
        if (c.ecnOk && !syn) {
            if (rcv.eceEcho) {
                flags |= TcpHeader.ECE; // RFC 3168 §6.1.3: until the peer's CWR
                tcp.counters.inc(TcpCounter.ECE_SENT);
            }
            // RFC 3168 §6.1.4–§6.1.6: ECT(0) on new data only; never on pure ACKs, retransmissions
            // or window probes (and SYNs, §6.1.1). The first new data after a reduction has CWR.
            if (len > 0 && !lt(seq, snd.max) && (flags & NOT_ECT) == 0) {
                tos = Ecn.ECT_0;
                if (snd.cwrPending) {
                    snd.cwrPending = false;
                    flags |= TcpHeader.CWR;
                    tcp.counters.inc(TcpCounter.CWR_SENT);
                }
            }
        }
        flags &= 0xff;
        PacketBuf p = tcp.allocate(TcpHeader.MAX_LENGTH + len);
        if (p == null) {
            tcp.counters.inc(TcpCounter.DROP_NO_BUFFER);
            return false;
        }
        ByteBuffer b = p.buf();
        long now = tcp.now();
        int at = p.start();
        int o = at + TcpHeader.MIN_LENGTH;
        int sackN = 0;
        if (syn) {
            o += TcpOptions.writeMss(b, o, Math.min(rcv.advMss, 65535));
            int tsEcr = (flags & TcpHeader.ACK_FLAG) != 0 ? rcv.tsRecent : 0;
            if (c.offerTs && c.offerSack) {
                o += TcpOptions.writeSackPermTimestamp(b, o, c.tsNow(now), tsEcr);
            } else if (c.offerTs) {
                o += TcpOptions.writeTimestamp(b, o, c.tsNow(now), tsEcr);
            } else if (c.offerSack) {
                o += TcpOptions.writeSackPermitted(b, o);
            }
            if (c.offerWs) {
                o += TcpOptions.writeNopWscale(b, o, rcv.wscale);
            }
        } else {
            if (c.tsOk) {
                o += TcpOptions.writeTimestamp(b, o, c.tsNow(now), rcv.tsRecent);
            }
            sackN = rcv.sackBlocksToSend();
            if (sackN > 0) {
                o += rcv.writeSackBlocks(b, o, sackN);
            }
        }
        int hl = o - at;
        int window = rcv.advertise(syn);
        int ack = (flags & TcpHeader.ACK_FLAG) != 0 ? rcv.nxt : 0;
        TcpHeader.emit(b, at, c.localPort, c.remotePort, seq, ack, hl, flags, window);
        if (len > 0) {
            snd.ring.peek(off, b, at + hl, len);
        }
        p.append(hl + len);
        TcpChecksum.fillPartial(p, at, hl + len, c.localHi, c.localLo, c.remoteHi, c.remoteLo);
        if (len > snd.mss) {
            // TSO: one large segment that the device cuts into sndMss-sized ones
            p.gsoType = c.remoteHi == 0 && (c.remoteLo >>> 32) == 0xffffL ? VnetHeader.GSO_TCPV4
                    : VnetHeader.GSO_TCPV6;
            p.gsoSize = snd.mss;
            tcp.counters.inc(TcpCounter.TX_TSO_SEGMENTS);
        }
        if ((flags & TcpHeader.ACK_FLAG) != 0) {
            rcv.ackSent();
            c.timers.ackSent();
        }
        if (sackN > 0) {
            tcp.counters.add(TcpCounter.SACK_BLOCKS_SENT, sackN);
        }
        tcp.counters.inc(TcpCounter.TX_SEGMENTS);
        snd.lastSendTime = now;
        if (!syn && (len > 0 || (flags & TcpHeader.FIN) != 0)) {
            // RFC 8985 §6.1: the transmit time of every data segment (new or retransmitted)
            int end = seq + len + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);
            c.log.onSend(seq, end, now);
            if (c.trace != null) {
                traceSend(c, seq, end);
            }
        }
        tcp.output(p, c.localHi, c.localLo, c.remoteHi, c.remoteLo, tos);
        return true;
    }

    /** The trace's records of [seq, end): what lies below SND.MAX was sent before, the rest is new. */
    private void traceSend(TcpConnection c, int seq, int end) {
        int max = c.snd.max;
        if (lt(seq, max)) {
            c.trace.record(TcpTrace.Event.RETRANSMIT, seq, lt(max, end) ? max : end);
        }
        if (lt(max, end)) {
            c.trace.record(TcpTrace.Event.SEND, lt(seq, max) ? max : seq, end);
        }
    }
}
