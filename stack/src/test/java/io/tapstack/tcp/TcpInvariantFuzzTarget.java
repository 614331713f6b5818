package io.tapstack.tcp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.LinkCounter;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpScript.Seg;
import io.tapstack.wire.TcpHeader;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.le;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One TCP connection driven by fuzzer-chosen segments, application calls and time steps on
 * virtual time (RFC 9293 §3.10), with an invariant checker after every step:
 * <ul>
 * <li>no exception inside the stack ({@code link.internal_error} stays 0), every segment sent
 *     has a valid checksum and parsable options ({@link TcpScript});</li>
 * <li>send sequence space: SND.UNA ≤ SND.NXT ≤ SND.MAX (RFC 9293 §3.3.1); the send ring holds
 *     every unacknowledged octet and stays within its capacity; nothing is sent beyond SND.MAX;</li>
 * <li>the SACK scoreboard lies within [SND.UNA, SND.MAX] (RFC 6675 §2);</li>
 * <li>receive side: the right edge we advertise never moves left (RFC 9293 §3.8.6.2.2);
 *     out-of-order ranges lie within the receive buffer above RCV.NXT; the application gets the
 *     peer's octets exactly once and in order (each octet is a function of its stream offset, so
 *     a duplicate, a gap or a reordering is seen).</li>
 * </ul>
 */
class TcpInvariantFuzzTarget {
    static final int LPORT = 80;
    static final int PPORT = 40000;
    static final int PISS = 0x7ffff000; // near the sign change of the sequence space
    /** {@code -Dtapstack.fuzz.trace=true}: print every step and every segment (to read a finding). */
    static final boolean TRACE = Boolean.getBoolean("tapstack.fuzz.trace");
    /** Shared across runs (a pool per run costs more than the run): every run gives every buffer back (asserted). */
    private static final PacketPool STACK_POOL = new PacketPool(512, 2048, 8);
    private static final PacketPool PEER_POOL = new PacketPool(512, 2048, 4);

    /** The peer's octet at stream offset {@code o}. */
    static byte peerByte(int o) {
        return (byte) (o * 7 + (o >>> 8) + 1);
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void segments(FuzzedDataProvider in) throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.ecn = TcpConfig.EcnMode.values()[in.consumeInt(0, 2)];
        cfg.sack = in.consumeBoolean();
        cfg.timestamps = in.consumeBoolean();
        cfg.congestionControl = in.consumeBoolean() ? "cubic" : "newreno";
        cfg.lossRecovery = in.consumeBoolean() ? "rack" : "rfc6675";
        cfg.sendBufferSize = 1024 << in.consumeInt(0, 7);
        cfg.receiveBufferSize = 1024 << in.consumeInt(0, 7);
        cfg.maxOutOfOrderRanges = in.consumeInt(1, 8);
        new Run(cfg, in).run();
    }

    static final class Run implements TcpHandler {
        final TcpConfig cfg;
        final FuzzedDataProvider in;
        final TcpScript t;
        TcpConnection c;
        final ByteBuffer buf = ByteBuffer.allocate(1 << 17);
        boolean paused;
        /** Octets of the peer's stream delivered to the application so far. */
        int delivered;
        String deliveryError;
        int peerTs = 1000;
        int peerWscale;
        boolean rightEdgeKnown;
        int rightEdge;
        final ByteArrayOutputStream log = new ByteArrayOutputStream();

        Run(TcpConfig cfg, FuzzedDataProvider in) {
            this.cfg = cfg;
            this.in = in;
            this.t = new TcpScript(cfg, STACK_POOL, PEER_POOL);
        }

        void run() throws Exception {
            TcpListener l = t.tcp.listen(LPORT);
            // the SYN, with options the fuzzer picks
            byte[] mss = TcpScript.mss(in.consumeInt(1, 9000));
            peerWscale = in.consumeInt(0, 15);
            boolean ws = in.consumeBoolean();
            boolean sp = in.consumeBoolean();
            boolean ts = in.consumeBoolean();
            byte[] synOpts = TcpScript.opts(mss, ws ? TcpScript.wscale(peerWscale) : new byte[0],
                    sp ? TcpScript.sackPerm() : new byte[0], ts ? TcpScript.ts(peerTs, 0) : new byte[0]);
            int synFlags = TcpHeader.SYN | (in.consumeBoolean() ? TcpHeader.ECE | TcpHeader.CWR : 0);
            t.send(PPORT, LPORT, PISS, 0, synFlags, in.consumeInt(0, 65535), synOpts, new byte[0]);
            Seg sa = null;
            while (!t.out.isEmpty()) {
                Seg s = t.out.poll();
                if (s.has(TcpHeader.SYN)) {
                    sa = s;
                }
            }
            if (sa == null) {
                l.close();
                finish0();
                return; // refused: nothing to drive
            }
            byte[] ackOpts = sa.opts().hasTimestamp ? TcpScript.ts(++peerTs, sa.opts().tsVal) : new byte[0];
            t.send(PPORT, LPORT, PISS + 1, sa.seq() + 1, TcpHeader.ACK_FLAG, in.consumeInt(0, 65535), ackOpts, new byte[0]);
            c = l.accept();
            l.close(); // later SYNs must not open other connections
            if (c == null) {
                finish0();
                return;
            }
            c.setHandler(this);
            check();
            int steps = in.consumeInt(1, 64);
            for (int i = 0; i < steps && in.remainingBytes() > 0 && c.state() != TcpState.CLOSED; i++) {
                step(in.consumeInt(0, 9));
                check();
            }
            // then let time run out the connection's timers
            for (int i = 0; i < 20 && c.state() != TcpState.CLOSED; i++) {
                advance(1000);
                check();
            }
            finish();
        }

        /** {@link #finish} without a connection. */
        void finish0() {
            t.clock.advance(600_000 * TcpScript.MS);
            t.poll();
            assertEquals(STACK_POOL.totalSmall(), STACK_POOL.availableSmall(), "small packet buffers leaked");
        }

        /** Abort, ten minutes of silence: every packet buffer is back in the pools (no leak, RFC 9293 §3.10.5 ABORT). */
        void finish() {
            if (c.state() != TcpState.CLOSED) {
                c.abort();
            }
            t.clock.advance(600_000 * TcpScript.MS);
            t.poll();
            t.out.clear();
            assertEquals(0, t.a.linkStats().get(LinkCounter.INTERNAL_ERROR), "an exception inside the stack");
            assertEquals(STACK_POOL.totalSmall(), STACK_POOL.availableSmall(), "small packet buffers leaked");
            assertEquals(STACK_POOL.totalLarge(), STACK_POOL.availableLarge(), "large packet buffers leaked");
            assertEquals(PEER_POOL.totalSmall(), PEER_POOL.availableSmall(), "peer buffers leaked");
        }

        void step(int action) throws TcpException {
            TcpReceiver rcv = c.rcv;
            TcpSender snd = c.snd;
            if (TRACE) {
                System.err.printf("step %d  %s una=%d nxt=%d max=%d cwnd=%d rcv.nxt=%d%n", action, c.state(),
                        snd.una, snd.nxt, snd.max, c.cwnd(), rcv.nxt);
            }
            switch (action) {
                case 0, 1, 2 -> peerSegment(pickSeq(rcv), pickAck(snd), pickFlags(), in.consumeInt(0, 65535),
                        in.consumeInt(0, 1400), in.consumeInt(0, 3), in.consumeInt(0, 0xffff), pickOptions(snd));
                case 3 -> advance(in.consumeInt(1, 3000));
                case 4 -> {
                    int n = in.consumeInt(0, 20000);
                    byte[] d = new byte[n];
                    for (int k = 0; k < n; k++) {
                        d[k] = (byte) (k * 13);
                    }
                    if (c.isOpen()) {
                        try {
                            c.write(ByteBuffer.wrap(d));
                        } catch (TcpException e) {
                            // a closed or reset connection refuses writes: fine
                        }
                    }
                }
                case 5 -> {
                    paused = !paused;
                    if (!paused) {
                        drain();
                    }
                }
                case 6 -> {
                    int how = in.consumeInt(0, 2);
                    if (how == 0) {
                        c.shutdownOutput();
                    } else if (how == 1) {
                        c.close();
                    } else {
                        c.setNoDelay(!c.noDelay());
                    }
                }
                case 7 -> peerSegment(rcv.nxt, snd.max, TcpHeader.ACK_FLAG, 65535 >> Math.min(peerWscale, 14),
                        0, 0, 0, pickOptions(snd)); // an honest ACK of everything sent
                case 8 -> peerSegment(rcv.nxt, snd.max, TcpHeader.ACK_FLAG | TcpHeader.PSH
                        | (in.consumeBoolean() ? TcpHeader.FIN : 0), 65535, in.consumeInt(1, 1400), 0, 0, pickOptions(snd));
                default -> {
                    // a segment a little ahead of RCV.NXT (a hole), with data
                    int ahead = in.consumeInt(1, 20000);
                    peerSegment(rcv.nxt + ahead, snd.una, TcpHeader.ACK_FLAG, 65535, in.consumeInt(1, 1400), 0, 0,
                            pickOptions(snd));
                }
            }
        }

        int pickSeq(TcpReceiver rcv) {
            return switch (in.consumeInt(0, 3)) {
                case 0, 1 -> rcv.nxt;
                case 2 -> rcv.nxt + in.consumeInt(-70000, 70000);
                default -> in.consumeInt();
            };
        }

        int pickAck(TcpSender snd) {
            return switch (in.consumeInt(0, 4)) {
                case 0 -> snd.max;
                case 1 -> snd.una;
                case 2 -> snd.una + in.consumeInt(0, Math.max(0, snd.max - snd.una));
                case 3 -> snd.una + in.consumeInt(-70000, 70000);
                default -> in.consumeInt();
            };
        }

        int pickFlags() {
            int f = in.consumeInt(0, 255);
            if (in.consumeInt(0, 3) != 0) {
                f = (f & ~(TcpHeader.SYN | TcpHeader.RST)) | TcpHeader.ACK_FLAG; // mostly plain ACKs
            }
            return f;
        }

        byte[] pickOptions(TcpSender snd) {
            byte[] ts = new byte[0];
            if (in.consumeBoolean()) {
                int d = in.consumeInt(0, 3) == 0 ? in.consumeInt() : in.consumeInt(-5, 100);
                peerTs += d;
                ts = TcpScript.ts(peerTs, in.consumeBoolean() ? c.tsNow(t.clock.nanos()) : in.consumeInt());
            }
            int n = in.consumeInt(0, 4);
            if (n == 0) {
                return TcpScript.opts(ts);
            }
            int[] edges = new int[2 * Math.min(n, ts.length > 0 ? 3 : 4)];
            for (int i = 0; i < edges.length; i += 2) {
                int l = in.consumeInt(0, 3) == 0 ? in.consumeInt() : snd.una + in.consumeInt(-3000, 70000);
                edges[i] = l;
                edges[i + 1] = l + in.consumeInt(-10, 20000);
            }
            return TcpScript.opts(ts, TcpScript.sack(edges));
        }

        /** A peer segment whose octets are the stream's own at their offsets (so delivery can be checked). */
        void peerSegment(int seq, int ack, int flags, int window, int len, int ecn, int urgent, byte[] opts) {
            if (20 + opts.length > TcpHeader.MAX_LENGTH) {
                opts = new byte[0];
            }
            if (TRACE) {
                System.err.printf("  in seq=%d ack=%d flags=%s win=%d len=%d ecn=%d urg=%d opts=%d B%n", seq, ack,
                        Integer.toBinaryString(flags), window, len, ecn, urgent, opts.length);
            }
            byte[] d = new byte[len];
            int base = seq - (PISS + 1);
            for (int k = 0; k < len; k++) {
                d[k] = peerByte(base + k);
            }
            t.sendTos(ecn, urgent, PPORT, LPORT, seq, ack, flags, window, opts, d);
        }

        void advance(int ms) {
            // coarse steps: the timers are what matters, not every millisecond
            for (int done = 0; done < ms; done += 50) {
                t.clock.advance(Math.min(50, ms - done) * TcpScript.MS);
                t.poll();
            }
        }

        void drain() {
            if (c == null || paused) {
                return;
            }
            try {
                while (true) {
                    buf.clear();
                    int n = c.read(buf);
                    if (n <= 0) {
                        return;
                    }
                    for (int k = 0; k < n; k++) {
                        if (buf.get(k) != peerByte(delivered + k) && deliveryError == null) {
                            deliveryError = "octet " + (delivered + k) + " of the peer's stream is wrong: a duplicate, a gap or a reordering";
                        }
                    }
                    delivered += n;
                }
            } catch (TcpException e) {
                // reset or closed: nothing more to read
            }
        }

        @Override
        public void onReadable(TcpConnection x) {
            drain();
        }

        @Override
        public void onClosed(TcpConnection x, TcpException error) {
        }

        /** The invariants, after every step. */
        void check() {
            assertEquals(0, t.a.linkStats().get(LinkCounter.INTERNAL_ERROR), "an exception inside the stack");
            if (deliveryError != null) {
                fail(deliveryError);
            }
            TcpSender snd = c.snd;
            TcpReceiver rcv = c.rcv;
            // what went out
            while (!t.out.isEmpty()) {
                Seg s = t.out.poll();
                if (TRACE) {
                    System.err.println("  out " + s + " (una=" + snd.una + " nxt=" + snd.nxt + " max=" + snd.max + ")");
                }
                if (s.has(TcpHeader.RST) || c.state() == TcpState.CLOSED) {
                    continue;
                }
                int end = s.seq() + s.data().length + (s.has(TcpHeader.SYN) ? 1 : 0) + (s.has(TcpHeader.FIN) ? 1 : 0);
                assertTrue(le(end, snd.max), "sent beyond SND.MAX: " + s + " max=" + snd.max);
                if (s.has(TcpHeader.ACK_FLAG) && !s.has(TcpHeader.SYN)) {
                    int edge = s.ack() + (s.window() << rcv.wscale);
                    if (rightEdgeKnown) {
                        assertTrue(ge(edge, rightEdge), "the advertised right edge moved left: " + s + " edge " + edge
                                + " < " + rightEdge + " (wscale " + rcv.wscale + ")");
                    }
                    if (!rightEdgeKnown || ge(edge, rightEdge)) {
                        rightEdge = edge;
                        rightEdgeKnown = true;
                    }
                }
            }
            if (c.state() == TcpState.CLOSED) {
                return;
            }
            assertTrue(le(snd.una, snd.nxt) && le(snd.nxt, snd.max),
                    "SND.UNA " + snd.una + " ≤ SND.NXT " + snd.nxt + " ≤ SND.MAX " + snd.max);
            if (snd.ring != null) {
                int dataOut = snd.max - snd.una - (snd.finSent ? 1 : 0);
                assertTrue(dataOut <= snd.ring.size(), "unacknowledged " + dataOut + " > send ring " + snd.ring.size());
                assertTrue(snd.ring.size() <= snd.ring.capacity());
            }
            SeqRangeSet sb = c.scoreboard.ranges();
            for (int i = 0; i < sb.size(); i++) {
                assertTrue(ge(sb.start(i), snd.una) && le(sb.end(i), snd.max) && le(sb.start(i), sb.end(i)),
                        "scoreboard " + sb + " outside [" + snd.una + ", " + snd.max + "]");
            }
            SeqRangeSet ooo = rcv.ooo;
            assertTrue(ooo.size() <= ooo.capacity());
            for (int i = 0; i < ooo.size(); i++) {
                assertTrue(ge(ooo.start(i), rcv.nxt) && le(ooo.end(i), rcv.nxt + rcv.bufSize),
                        "out-of-order " + ooo + " outside the buffer above RCV.NXT " + rcv.nxt);
            }
            if (rcv.ring != null) {
                assertTrue(rcv.ring.size() <= rcv.ring.capacity());
            }
            assertTrue(c.cwnd() > 0, "cwnd " + c.cwnd());
        }
    }
}
