package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PcapRoundTripTest {
    static final long T0 = 1_700_000_000_123_456_789L;

    static void writeSample(PacketSink w) throws IOException {
        byte[] a = Frames.corpus().get("v4-tcp-syn-80");
        byte[] b = Frames.corpus().get("v6-udp-53");
        w.write(T0, a, 0, a.length, a.length, Direction.INBOUND);
        ByteBuffer direct = ByteBuffer.allocateDirect(b.length + 5);
        direct.position(5);
        direct.put(b);
        w.write(T0 + 1_000_001, direct, 5, b.length, b.length, Direction.OUTBOUND);
        byte[] big = Frames.corpus().get("jumbo-v4-tcp");
        w.write(T0 + 2_000_000_000L, big, 0, big.length, big.length + 100, Direction.UNKNOWN);
    }

    static void checkSample(List<CaptureRecord> r, TimestampResolution res, int snaplen, boolean ng) {
        assertEquals(3, r.size());
        byte[] a = Frames.corpus().get("v4-tcp-syn-80");
        byte[] b = Frames.corpus().get("v6-udp-53");
        byte[] big = Frames.corpus().get("jumbo-v4-tcp");
        long expectTs = res == TimestampResolution.NANOSECONDS ? T0 : T0 / 1000 * 1000;
        assertEquals(expectTs, r.get(0).timestampNanos());
        assertArrayEquals(a, r.get(0).data());
        assertEquals(a.length, r.get(0).wireLength());
        assertArrayEquals(b, r.get(1).data());
        assertEquals(res == TimestampResolution.NANOSECONDS ? T0 + 1_000_001 : (T0 + 1_000_001) / 1000 * 1000, r.get(1).timestampNanos());
        assertEquals(Math.min(snaplen, big.length), r.get(2).data().length, "snapped");
        assertArrayEquals(java.util.Arrays.copyOf(big, Math.min(snaplen, big.length)), r.get(2).data());
        assertEquals(big.length + 100, r.get(2).wireLength());
        assertEquals(ng ? Direction.INBOUND : Direction.UNKNOWN, r.get(0).direction());
        assertEquals(ng ? Direction.OUTBOUND : Direction.UNKNOWN, r.get(1).direction());
        assertEquals(Direction.UNKNOWN, r.get(2).direction());
        for (CaptureRecord x : r) assertEquals(1, x.linkType());
    }

    @ParameterizedTest
    @EnumSource(TimestampResolution.class)
    void pcapRoundTrip(TimestampResolution res) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(bos, 1000, res, true)) { writeSample(w); }
        byte[] bytes = bos.toByteArray();
        int magic = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertEquals(res == TimestampResolution.NANOSECONDS ? 0xa1b23c4d : 0xa1b2c3d4, magic);
        try (CaptureFileReader r = new CaptureFileReader(new ByteArrayInputStream(bytes))) {
            assertFalse(r.isPcapng());
            assertEquals(res, r.resolution());
            assertEquals(1000, r.snaplen());
            assertEquals(1, r.linkType());
            checkSample(r.readAll(), res, 1000, false);
        }
    }

    @ParameterizedTest
    @EnumSource(TimestampResolution.class)
    void pcapngRoundTrip(TimestampResolution res) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (PcapngWriter w = new PcapngWriter(Channels.newChannel(bos), "tap0", 1000, res, true)) { writeSample(w); }
        byte[] bytes = bos.toByteArray();
        assertEquals(0, bytes.length % 4, "blocks are 32-bit aligned");
        try (CaptureFileReader r = new CaptureFileReader(new ByteArrayInputStream(bytes))) {
            List<CaptureRecord> recs = r.readAll();
            assertTrue(r.isPcapng());
            assertEquals(res, r.resolution());
            assertEquals("tap0", r.interfaceName(0));
            assertEquals(1000, r.snaplen());
            checkSample(recs, res, 1000, true);
        }
    }

    @Test void fileWritersAndBigEndianPcap(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.pcap");
        try (PcapWriter w = PcapWriter.create(f, 65535, TimestampResolution.MICROSECONDS)) { writeSample(w); }
        try (InputStream in = Files.newInputStream(f); CaptureFileReader r = new CaptureFileReader(in)) {
            checkSample(r.readAll(), TimestampResolution.MICROSECONDS, 65535, false);
        }
        Path g = dir.resolve("a.pcapng");
        try (PcapngWriter w = PcapngWriter.create(g, "eth0", 65535, TimestampResolution.NANOSECONDS)) { writeSample(w); }
        try (InputStream in = Files.newInputStream(g); CaptureFileReader r = new CaptureFileReader(in)) {
            checkSample(r.readAll(), TimestampResolution.NANOSECONDS, 65535, true);
        }
        // a hand-made big-endian nanosecond pcap with one 4-byte packet
        ByteBuffer be = ByteBuffer.allocate(24 + 16 + 4);
        be.putInt(0xa1b23c4d).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(96).putInt(1);
        be.putInt(5).putInt(7).putInt(4).putInt(60).put(new byte[] {1, 2, 3, 4});
        try (CaptureFileReader r = new CaptureFileReader(new ByteArrayInputStream(be.array()))) {
            List<CaptureRecord> l = r.readAll();
            assertEquals(1, l.size());
            assertEquals(5_000_000_007L, l.get(0).timestampNanos());
            assertEquals(60, l.get(0).wireLength());
            assertArrayEquals(new byte[] {1, 2, 3, 4}, l.get(0).data());
        }
    }

    @Test void bigEndianPcapng() throws IOException {
        // SHB, IDB with if_tsresol = 2^-10 (MSB set), EPB with epb_flags inbound; all big-endian
        ByteBuffer b = ByteBuffer.allocate(200);
        b.putInt(0x0A0D0D0A).putInt(28).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1).putInt(28);
        b.putInt(1).putInt(28).putShort((short) 1).putShort((short) 0).putInt(0)
                .putShort((short) 9).putShort((short) 1).put((byte) 0x8a).put(new byte[3]).putInt(28);
        b.putInt(6).putInt(44).putInt(0).putInt(0).putInt(1024 * 3 + 512).putInt(3).putInt(3).put(new byte[] {9, 8, 7, 0})
                .putShort((short) 2).putShort((short) 4).putInt(1).putInt(44);
        byte[] bytes = java.util.Arrays.copyOf(b.array(), b.position());
        try (CaptureFileReader r = new CaptureFileReader(new ByteArrayInputStream(bytes))) {
            List<CaptureRecord> l = r.readAll();
            assertEquals(1, l.size());
            assertEquals(3_500_000_000L, l.get(0).timestampNanos());
            assertArrayEquals(new byte[] {9, 8, 7}, l.get(0).data());
            assertEquals(Direction.INBOUND, l.get(0).direction());
        }
    }

    /** Our pcap and pcapng streams are readable by tcpdump from a pipe (tcpdump -r -). */
    @ParameterizedTest
    @EnumSource(TimestampResolution.class)
    void tcpdumpReadsOurStreams(TimestampResolution res) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tcpdump")) || "true".equals(System.getenv("CI")), "tcpdump not installed");
        for (boolean ng : new boolean[] {false, true}) {
            Process p = new ProcessBuilder("/usr/bin/tcpdump", "-r", "-", "-nn", "--time-stamp-precision=nano").start();
            try (PacketSink w = ng ? new PcapngWriter(p.getOutputStream(), "tap0", 262144, res, true)
                    : new PcapWriter(p.getOutputStream(), 262144, res, true)) {
                writeSample(w);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), err);
            String[] lines = out.strip().split("\n");
            assertEquals(3, lines.length, out);
            assertTrue(lines[0].contains("10.0.0.1.40000 > 10.0.0.2.80: Flags [S]"), lines[0]);
            assertTrue(lines[1].contains("fe80::1.5353 > 2001:db8:1:2::53.53"), lines[1]);
            String frac = res == TimestampResolution.NANOSECONDS ? ".123456789" : ".123456000";
            assertTrue(lines[0].contains(frac), lines[0]);
        }
    }
}
