package io.tapstack.ip;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.Frames.BROADCAST;
import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2). */
class IcmpTest {
    private static final long SEC = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    private static TwoHosts resolved(java.util.function.Consumer<io.tapstack.context.StackConfig> tweak) {
        TwoHosts h = new TwoHosts(1500, -1, tweak);
        h.a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]);
        h.settle();
        return h;
    }

    private static TwoHosts resolved() {
        return resolved(c -> {
        });
    }

    private static long icmp(TwoHosts h, IcmpCounter c) {
        return h.b.icmp().counters().get(c);
    }

    @ParameterizedTest(name = "{0} bytes of data")
    @ValueSource(ints = {0, 1, 56, 1472, 1473, 4000, 65507})
    void echoReplyHasSameIdSeqAndData_rfc792(int size) {
        TwoHosts h = resolved();
        Frames.Recorder fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
        List<int[]> replies = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> {
            replies.add(new int[] {src, id, seq});
            byte[] d = new byte[len];
            buf.get(off, d);
            data.add(d);
        });
        byte[] payload = Frames.pattern(size, size);
        h.a.icmp().sendEchoRequest(IP_B, 0xbeef, 0xfffe, payload);
        h.settle();
        assertEquals(1, replies.size());
        assertArrayEquals(new int[] {IP_B, 0xbeef, 0xfffe}, replies.get(0));
        assertArrayEquals(payload, data.get(0));
        // 1472 bytes of data + 8 + 20 = 1500: the largest unfragmented reply
        int frames = fromB.sentIpv4().size();
        assertEquals(size <= 1472 ? 1 : (size + 8 + 1479) / 1480, frames, "reply frames");
    }

    @Test
    void noReplyToBroadcastEcho_rfc1122s3226() {
        TwoHosts h = resolved();
        Frames.Recorder fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
        byte[] echo = Frames.echoRequest(3, 4, new byte[8]);
        h.wireB.inject(Frames.ipv4Frame(BROADCAST, MAC_A, IP_A, 0x0a0000ff, 1, 64, 1, 0, echo));
        h.wireB.inject(Frames.ipv4Frame(BROADCAST, MAC_A, IP_A, 0xffffffff, 1, 64, 2, 0, echo));
        h.wireB.inject(Frames.ipv4Frame(0x01005e000001L, MAC_A, IP_A, 0xe0000001, 1, 64, 3, 0, echo));
        h.settle();
        assertEquals(3, icmp(h, IcmpCounter.DROP_BROADCAST_ECHO));
        assertTrue(fromB.out.isEmpty());
    }

    @Test
    void broadcastEchoWhenEnabledIsAnsweredFromAUnicastAddress_rfc1122s3226() {
        TwoHosts h = resolved(c -> c.icmpEchoBroadcast = true);
        Frames.Recorder fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
        h.wireB.inject(Frames.ipv4Frame(BROADCAST, MAC_A, IP_A, 0x0a0000ff, 1, 64, 1, 0, Frames.echoRequest(3, 4, new byte[8])));
        h.settle();
        List<byte[]> r = fromB.sentIcmp(Icmpv4.ECHO_REPLY);
        assertEquals(1, r.size());
        assertEquals(IP_B, ByteBuffer.wrap(r.get(0)).getInt(14 + 12), "source is B's own address, not the broadcast");
    }

    @Test
    void malformedIcmpIsCounted() {
        TwoHosts h = resolved();
        byte[] echo = Frames.echoRequest(3, 4, new byte[8]);
        echo[10] ^= 1;
        h.wireB.inject(Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 1, 64, 1, 0, echo));
        h.wireB.inject(Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 1, 64, 2, 0, new byte[7]));
        h.settle();
        assertEquals(1, icmp(h, IcmpCounter.DROP_BAD_CHECKSUM));
        assertEquals(1, icmp(h, IcmpCounter.DROP_TRUNCATED));
    }

    /** Sends protocol-253 packets from A to B, which has no handler for it. */
    private static void sendUnknownProtocol(TwoHosts h, int n) {
        for (int i = 0; i < n; i++) {
            h.wireB.inject(Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 253, 64, 1000 + i, 0, new byte[8]));
        }
        h.settle();
    }

    @Test
    void errorRateLimit_burstThenRefill_rfc1812s4328() {
        TwoHosts h = resolved(c -> {
            c.icmpErrorBurst = 5;
            c.icmpErrorsPerSecond = 10;
        });
        Frames.Recorder fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
        sendUnknownProtocol(h, 8);
        assertEquals(5, fromB.sentIcmp(Icmpv4.DEST_UNREACHABLE).size(), "the burst");
        assertEquals(3, icmp(h, IcmpCounter.ERRORS_RATE_LIMITED));
        h.clock.advance(300 * MS); // 3 tokens
        sendUnknownProtocol(h, 5);
        assertEquals(8, fromB.sentIcmp(Icmpv4.DEST_UNREACHABLE).size());
        assertEquals(5, icmp(h, IcmpCounter.ERRORS_RATE_LIMITED));
        h.clock.advance(60 * SEC); // refills to the burst, no more
        sendUnknownProtocol(h, 8);
        assertEquals(13, fromB.sentIcmp(Icmpv4.DEST_UNREACHABLE).size());
        assertEquals(8, icmp(h, IcmpCounter.ERRORS_RATE_LIMITED));
        // echo replies are not rate limited
        for (int i = 0; i < 20; i++) {
            h.a.icmp().sendEchoRequest(IP_B, 9, i, new byte[0]);
        }
        h.settle();
        assertEquals(20, fromB.sentIcmp(Icmpv4.ECHO_REPLY).size());
    }

    /** A datagram start (IP header + 8 bytes) for {@link Icmp#sendErrorQuoting}. */
    private static byte[] quote(int src, int dst, int proto, int flagsFrag, byte[] payload8) {
        return Frames.ipv4(src, dst, proto, 64, 77, flagsFrag, payload8);
    }

    @Test
    void errorsAreNeverSentAboutErrorsFragmentsOrNonUnicastSources_rfc1122s3222() {
        TwoHosts h = resolved();
        Frames.Recorder fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
        Icmp icmp = h.b.icmp();
        byte[] unreach = Frames.icmp(Icmpv4.DEST_UNREACHABLE, 3, 0, new byte[0]);
        byte[] redirect = Frames.icmp(Icmpv4.REDIRECT, 1, 0, new byte[0]);
        byte[] echo = Frames.echoRequest(1, 1, new byte[0]);
        icmp.sendErrorQuoting(quote(IP_A, IP_B, 1, 0, unreach), 11, 1, 0); // about an ICMP error
        icmp.sendErrorQuoting(quote(IP_A, IP_B, 1, 0, redirect), 11, 1, 0);
        icmp.sendErrorQuoting(quote(IP_A, IP_B, 253, 10, new byte[8]), 11, 1, 0); // a non-first fragment
        icmp.sendErrorQuoting(quote(0xffffffff, IP_B, 253, 0, new byte[8]), 11, 1, 0);
        icmp.sendErrorQuoting(quote(0xe0000001, IP_B, 253, 0, new byte[8]), 11, 1, 0);
        icmp.sendErrorQuoting(quote(0, IP_B, 253, 0, new byte[8]), 11, 1, 0);
        icmp.sendErrorQuoting(quote(0x7f000001, IP_B, 253, 0, new byte[8]), 11, 1, 0);
        icmp.sendErrorQuoting(quote(0xf0000001, IP_B, 253, 0, new byte[8]), 11, 1, 0);
        h.settle();
        assertEquals(8, icmp(h, IcmpCounter.ERRORS_SUPPRESSED));
        assertTrue(fromB.out.isEmpty());
        // but an error about an echo, or about a first fragment (MF set, offset 0), is fine
        icmp.sendErrorQuoting(quote(IP_A, IP_B, 1, 0, echo), 11, 1, 0);
        icmp.sendErrorQuoting(quote(IP_A, IP_B, 253, Ipv4Header.FLAG_MF, new byte[8]), 11, 1, 0);
        h.settle();
        assertEquals(2, fromB.sentIcmp(Icmpv4.TIME_EXCEEDED).size());
    }

    @Test
    void reassemblyTimeoutOfAFragmentedIcmpErrorSendsNothing() {
        TwoHosts h = resolved();
        Frames.Recorder fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
        byte[] err = Frames.icmp(Icmpv4.DEST_UNREACHABLE, 1, 0, new byte[600]);
        h.wireB.inject(Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 1, 64, 55, Ipv4Header.FLAG_MF,
                Arrays.copyOf(err, 512)));
        h.settle();
        h.run(h.b.config().reassemblyTimeoutNanos + SEC, SEC);
        assertEquals(1, h.b.ipv4().counters().get(io.tapstack.ip.Ipv4Counter.REASSEMBLY_TIMEOUT));
        assertTrue(fromB.sentIcmp(Icmpv4.TIME_EXCEEDED).isEmpty());
        assertEquals(1, icmp(h, IcmpCounter.ERRORS_SUPPRESSED));
    }

    /** What a transport handler was told. */
    record Told(int version, int type, int code, int info, byte[] quote) {
    }

    @Test
    void receivedErrorsReachTheTransportWithTheQuotedHeader_rfc1122s3221() {
        TwoHosts h = resolved();
        List<Told> told = new ArrayList<>();
        h.a.ipv4().register(253, new IpProtocolHandler() {
            @Override
            public void input(PacketBuf pkt, IpMeta meta) {
                pkt.release();
            }

            @Override
            public IcmpVerdict icmpError(int version, int type, int code, int info, ByteBuffer quoted, int off, int len, IpMeta meta) {
                byte[] q = new byte[len];
                quoted.get(off, q);
                told.add(new Told(version, type, code, info, q));
                return IcmpVerdict.ACCEPTED;
            }
        });
        PacketBuf p = h.a.allocate(16);
        int at = p.append(16);
        p.buf().put(at, Frames.pattern(16, 5));
        assertEquals(Ipv4.Result.OK, h.a.ipv4().output(p, 0, IP_B, 253, 64, 0, false));
        h.settle(); // B has no protocol 253: it answers protocol unreachable
        assertEquals(1, told.size());
        Told t = told.get(0);
        assertEquals(4, t.version);
        assertEquals(Icmpv4.DEST_UNREACHABLE, t.type);
        assertEquals(Icmpv4.UNREACH_PROTOCOL, t.code);
        Ipv4Header q = new Ipv4Header().wrap(ByteBuffer.wrap(t.quote), 0, t.quote.length);
        assertEquals(IP_A, q.src());
        assertEquals(IP_B, q.dst());
        assertEquals(253, q.protocol());
        assertTrue(t.quote.length >= 28);
        assertArrayEquals(Arrays.copyOf(Frames.pattern(16, 5), 8), Arrays.copyOfRange(t.quote, 20, 28), "the first 8 bytes we sent");
    }

    @Test
    void fragmentationNeededCarriesTheNextHopMtu_rfc1191() {
        TwoHosts h = resolved();
        int[] info = {-1};
        h.b.ipv4().register(253, new IpProtocolHandler() {
            @Override
            public void input(PacketBuf pkt, IpMeta meta) {
                pkt.release();
            }

            @Override
            public IcmpVerdict icmpError(int version, int type, int code, int i, ByteBuffer quoted, int off, int len, IpMeta meta) {
                info[0] = i;
                return IcmpVerdict.ACCEPTED;
            }
        });
        byte[] orig = Frames.ipv4(IP_B, 0x08080808, 253, 64, 1, Ipv4Header.FLAG_DF, new byte[8]);
        byte[] err = Frames.icmp(Icmpv4.DEST_UNREACHABLE, Icmpv4.UNREACH_NEEDFRAG, 1400, orig);
        h.wireB.inject(Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 1, 64, 2, 0, err));
        h.settle();
        assertEquals(1400, info[0]);
    }

    @Test
    void errorsQuotingSomeoneElsesPacketOrTooLittleAreDropped() {
        TwoHosts h = resolved();
        int[] calls = {0};
        h.b.ipv4().register(253, new IpProtocolHandler() {
            @Override
            public void input(PacketBuf pkt, IpMeta meta) {
                pkt.release();
            }

            @Override
            public IcmpVerdict icmpError(int version, int type, int code, int i, ByteBuffer quoted, int off, int len, IpMeta meta) {
                calls[0]++;
                return IcmpVerdict.ACCEPTED;
            }
        });
        byte[] notOurs = Frames.ipv4(0x0a000009, IP_A, 253, 64, 1, 0, new byte[8]);
        byte[] tooShort = Arrays.copyOf(Frames.ipv4(IP_B, IP_A, 253, 64, 1, 0, new byte[8]), 24);
        byte[] notV4 = Frames.ipv4(IP_B, IP_A, 253, 64, 1, 0, new byte[8]);
        notV4[0] = 0x65;
        for (byte[] q : new byte[][] {notOurs, tooShort, notV4}) {
            h.wireB.inject(Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 1, 64, 2, 0,
                    Frames.icmp(Icmpv4.DEST_UNREACHABLE, Icmpv4.UNREACH_PORT, 0, q)));
        }
        h.settle();
        assertEquals(0, calls[0]);
        assertEquals(3, icmp(h, IcmpCounter.DROP_BAD_QUOTE));
    }
}
