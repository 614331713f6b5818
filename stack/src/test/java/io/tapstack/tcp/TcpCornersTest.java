package io.tapstack.tcp;

import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.tcp.TcpScriptedTest.Est;
import io.tapstack.wire.TcpHeader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.P;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.ts;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static io.tapstack.tcp.TcpScriptedTest.open;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC corners of segment arrival: old ACKs (RFC 5961 §5.2), PAWS after 24 days idle (RFC 7323 §5.5), urgent data. */
class TcpCornersTest {
    static final long DAY = 24L * 3600 * 1_000_000_000L;
    static final int URG = TcpHeader.URG;

    @Test
    void ackOlderThanSndUnaMinusMaxSndWndIsDroppedWithAChallengeAck_rfc5961s52() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460)), 1000); // MAX.SND.WND = 1000 (no window scaling)
        e.c.setNoDelay(true);
        e.c.write(ByteBuffer.wrap(bytes(3000, 1)));
        int una = e.aNxt();
        while (una != e.aNxt() + 3000) {
            Seg d = t.expect(10);
            assertEquals(una, d.seq(), d.toString());
            una += d.data().length;
            t.send(PPORT, LPORT, e.pNxt, una, A, 1000, new byte[0]);
        }
        t.out.clear();
        long challenges = t.tcp.counters().get(TcpCounter.CHALLENGE_ACKS);
        // SEG.ACK < SND.UNA − MAX.SND.WND: discarded (its data too), an ACK sent back
        t.send(PPORT, LPORT, e.pNxt, una - 1001, A | P, 1000, bytes(10, 2));
        assertEquals(1, t.tcp.counters().get(TcpCounter.DROP_ACK_TOO_OLD));
        assertEquals(challenges + 1, t.tcp.counters().get(TcpCounter.CHALLENGE_ACKS), "RFC 5961 §7: a throttled challenge ACK");
        Seg ch = t.expect();
        assertEquals(una, ch.seq(), ch.toString());
        assertEquals(e.pNxt, ch.ack(), "the data was not taken: " + ch);
        assertEquals(0, e.col.count);
        assertEquals(TcpState.ESTABLISHED, e.c.state());
        // SND.UNA − MAX.SND.WND ≤ SEG.ACK ≤ SND.UNA: an old but acceptable ACK, its data is taken
        t.send(PPORT, LPORT, e.pNxt, una - 1000, A | P, 1000, bytes(10, 2));
        assertEquals(1, t.tcp.counters().get(TcpCounter.DROP_ACK_TOO_OLD));
        assertEquals(10, e.col.count);
        Seg a = t.expect(500);
        assertEquals(e.pNxt + 10, a.ack(), a.toString());
    }

    /** Found by TcpInvariantFuzzTarget: the ACK that takes CLOSING to TIME-WAIT also acked data while a write was blocked. */
    @Test
    void ackOfDataAndFinFromClosingWithABlockedWriterEntersTimeWait_rfc9293s31074() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.sendBufferSize = 4096;
        TcpScript t = new TcpScript(cfg);
        Est e = open(t);
        e.c.setNoDelay(true);
        int took = e.c.write(ByteBuffer.wrap(bytes(8192, 1)));
        assertEquals(4096, took, "the writer is blocked");
        e.c.close();
        int end = e.aNxt();
        Seg fin = null;
        for (int i = 0; i < 10 && fin == null; i++) {
            Seg s = t.expect(10);
            end = s.seq() + s.data().length;
            if (s.has(TcpHeader.FIN)) {
                fin = s;
            }
        }
        assertTrue(fin != null && end == e.aNxt() + 4096, "all data and the FIN sent: " + fin);
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A | TcpHeader.FIN, 65535, new byte[0]); // simultaneous close
        assertEquals(TcpState.CLOSING, e.c.state());
        t.send(PPORT, LPORT, e.pNxt + 1, end + 1, A, 65535, new byte[0]); // data and FIN acked at once
        assertEquals(TcpState.TIME_WAIT, e.c.state());
        assertEquals(0, t.a.linkStats().get(io.tapstack.link.LinkCounter.INTERNAL_ERROR), "an exception inside the stack");
    }

    @Test
    void tsRecentOfAConnectionIdleForMoreThan24DaysNoLongerRejects_rfc7323s55() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t, opts(mss(1460), ts(100, 0)), 65535);
        int ecr = e.synAck.opts().tsVal;
        int seq = e.pNxt;
        t.send(PPORT, LPORT, seq, e.aNxt(), A | P, 65535, opts(ts(1000, ecr)), bytes(10, 1));
        seq += 10;
        assertEquals(10, e.col.count);
        // the peer's 1 kHz clock has run 2^31 + 5 ms on: its TSval now compares as older than TS.Recent
        int wrapped = 1000 + (1 << 31) + 5;
        // 23 days idle: PAWS still applies (RFC 7323 §5.3), the segment is dropped and acknowledged
        idle(t, 23);
        t.send(PPORT, LPORT, seq, e.aNxt(), A | P, 65535, opts(ts(wrapped, ecr)), bytes(10, 2));
        assertEquals(10, e.col.count, "rejected within 24 days");
        assertEquals(1, t.tcp.counters().get(TcpCounter.PAWS_REJECTED));
        Seg rej = t.expect(300);
        assertEquals(seq, rej.ack(), rej.toString());
        // past 24 days since TS.Recent was set: it is invalid, the segment is taken and TS.Recent renewed
        idle(t, 2);
        t.send(PPORT, LPORT, seq, e.aNxt(), A | P, 65535, opts(ts(wrapped, ecr)), bytes(10, 2));
        assertEquals(20, e.col.count, "accepted after 24 days idle");
        assertEquals(1, t.tcp.counters().get(TcpCounter.PAWS_REJECTED));
        seq += 10;
        Seg ack = t.expect(300);
        assertEquals(seq, ack.ack(), ack.toString());
        assertEquals(wrapped, ack.opts().tsEcr, "TS.Recent is the new TSval: " + ack);
        // and PAWS protects again from the renewed TS.Recent
        t.send(PPORT, LPORT, seq, e.aNxt(), A | P, 65535, opts(ts(wrapped - 10, ecr)), bytes(10, 3));
        assertEquals(20, e.col.count);
        assertEquals(2, t.tcp.counters().get(TcpCounter.PAWS_REJECTED));
    }

    /** {@code days} of silence on virtual time (one step: no timer is armed), forgetting what was sent. */
    private static void idle(TcpScript t, long days) {
        t.clock.advance(days * DAY);
        t.poll();
        t.out.clear();
    }

    @Test
    void urgentDataIsDeliveredInlineAndThePointerNeverReadsPastTheSegment_rfc9293s385() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        int seq = e.pNxt;
        // {urgent pointer, data length}: inside the segment, at its end, far beyond it and the
        // window, zero; then a URG pure ACK, whose pointer points at data that does not exist
        int[][] cases = {{5, 10}, {10, 10}, {65535, 10}, {0, 10}, {40000, 1}, {7, 0}};
        for (int i = 0; i < cases.length; i++) {
            byte[] d = bytes(cases[i][1], 40 + i);
            t.sendTos(0, cases[i][0], PPORT, LPORT, seq, e.aNxt(), A | P | URG, 65535, new byte[0], d);
            sent.writeBytes(d);
            seq += d.length;
            assertEquals(sent.size(), e.col.count, "case " + i);
        }
        // ordinary data after it: the stream is intact, nothing skipped, nothing invented
        byte[] tail = bytes(100, 99);
        t.send(PPORT, LPORT, seq, e.aNxt(), A | P, 65535, tail);
        sent.writeBytes(tail);
        seq += tail.length;
        assertArrayEquals(sent.toByteArray(), e.col.bytes.toByteArray());
        assertEquals(cases.length, t.tcp.counters().get(TcpCounter.URGENT_RECEIVED));
        Seg last = null;
        t.poll();
        for (long ms = 0; ms < 300; ms++) {
            t.advance(1);
        }
        while (!t.out.isEmpty()) {
            last = t.out.poll();
        }
        assertTrue(last != null && last.ack() == seq, "RCV.NXT covers exactly the data sent: " + last);
        assertFalse(last.has(URG), "we never send urgent data");
        assertEquals(TcpState.ESTABLISHED, e.c.state());
    }

    /** An ICMP error from a router (10.0.0.9) to A quoting A's segment {@code lport -> pport} with sequence number {@code seq}. */
    private static void icmpError(TcpScript t, int code, int mtu, int lport, int pport, int seq) {
        ByteBuffer tcp8 = ByteBuffer.allocate(8).putShort((short) lport).putShort((short) pport).putInt(seq);
        byte[] quoted = io.tapstack.Frames.ipv4(TcpScript.SELF, TcpScript.PEER, 6, 64, 1, 0x4000, tcp8.array());
        t.wireA.inject(io.tapstack.Frames.ipv4Frame(TcpScript.SELF_MAC, TcpScript.PEER_MAC, 0x0a000009, TcpScript.SELF, 1, 64, 7,
                0, io.tapstack.Frames.icmp(3, code, mtu, quoted)));
        t.poll();
    }

    /**
     * RFC 5927 §4.1: an ICMP error acts only if it quotes a sequence number in flight; others, and
     * errors about no connection, are ignored and counted. An in-window Fragmentation Needed lowers
     * the path MTU, never below 552 (Linux's min_pmtu; RFC 1191 §3 puts 68 lower still), and what
     * was in flight goes again at the smaller size (RFC 1191 §6.5); a port unreachable in
     * ESTABLISHED is a soft error (RFC 5461 §4.1).
     */
    @Test
    void icmpErrorsActOnlyWhenTheyQuoteASequenceNumberInFlight_rfc5927s41() throws Exception {
        TcpScript t = new TcpScript();
        Est e = open(t);
        int una = e.aNxt();
        e.c.write(ByteBuffer.wrap(bytes(2920, 1)));
        t.poll();
        assertEquals(2, t.out.size(), "2920 bytes in flight: " + TcpScript.dump(t.out));
        t.out.clear();
        assertEquals(1460, e.c.mss());
        icmpError(t, 4, 68, LPORT, PPORT, una + 5_000_000);
        icmpError(t, 4, 68, LPORT, PPORT, una - 1);
        icmpError(t, 3, 0, LPORT, PPORT, una + 2921 + 70_000);
        assertEquals(3, t.tcp.counters().get(TcpCounter.ICMP_OUT_OF_WINDOW));
        assertEquals(1460, e.c.mss(), "an error quoting a sequence number not in flight does nothing");
        assertEquals(0, t.tcp.counters().get(TcpCounter.PMTU_UPDATES));
        assertEquals(0, t.tcp.counters().get(TcpCounter.ICMP_SOFT_ERRORS));
        icmpError(t, 4, 68, LPORT, PPORT + 1, una);
        assertEquals(1, t.tcp.counters().get(TcpCounter.ICMP_NO_CONNECTION));
        assertTrue(t.out.isEmpty(), "nothing sent for ignored errors");
        // ICMP counts the refused Fragmentation Needed by reason, as ICMPv6 does Packet Too Big
        assertEquals(2, t.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.FRAG_NEEDED_REFUSED_NOT_IN_FLIGHT));
        assertEquals(1, t.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.FRAG_NEEDED_REFUSED_NO_FLOW));
        assertEquals(0, t.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.FRAG_NEEDED_ACCEPTED));
        // in flight: acts, clamped to 552 (MSS 512), and the unacknowledged data goes again smaller
        icmpError(t, 4, 68, LPORT, PPORT, una + 1000);
        assertEquals(1, t.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.FRAG_NEEDED_ACCEPTED));
        assertEquals(1, t.tcp.counters().get(TcpCounter.PMTU_UPDATES));
        assertEquals(512, e.c.mss());
        Seg r = t.expect();
        assertEquals(una, r.seq());
        assertEquals(512, r.data().length);
        icmpError(t, 3, 0, LPORT, PPORT, una);
        assertEquals(1, t.tcp.counters().get(TcpCounter.ICMP_SOFT_ERRORS));
        assertEquals(TcpState.ESTABLISHED, e.c.state());
    }
}
