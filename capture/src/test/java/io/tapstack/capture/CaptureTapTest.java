package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CaptureTapTest {
    static final byte[] SYN = Frames.corpus().get("v4-tcp-syn-80");
    static final byte[] UDP = Frames.corpus().get("v4-udp-53");

    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test void inactiveTapDoesNothingAndAllocatesNothing() {
        CaptureTap tap = new CaptureTap();
        assertFalse(tap.isActive());
        ByteBuffer f = ByteBuffer.allocateDirect(SYN.length).put(SYN).flip();
        for (int i = 0; i < 100_000; i++) tap.capture(f, 0, SYN.length, i, Direction.INBOUND); // warm up
        long before = allocatedBytes();
        for (int i = 0; i < 1_000_000; i++) tap.capture(f, 0, SYN.length, i, Direction.INBOUND);
        long after = allocatedBytes();
        assertTrue(after - before < 1024, "allocated " + (after - before) + " bytes");
    }

    @Test void filterSnaplenAndCounters() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CaptureTap tap = new CaptureTap();
        CaptureSession s = CaptureSession.start("tcp port 80", 40, new PcapngWriter(bos, "tap0", 40, TimestampResolution.NANOSECONDS, false), 64);
        tap.add(s);
        assertTrue(tap.isActive());
        ByteBuffer buf = ByteBuffer.allocateDirect(2000);
        buf.position(100);
        buf.put(SYN);
        for (int i = 0; i < 10; i++) {
            tap.capture(buf, 100, SYN.length, 1000 + i, Direction.OUTBOUND);
            tap.capture(ByteBuffer.wrap(UDP), 0, UDP.length, 2000 + i, Direction.INBOUND);
        }
        tap.remove(s);
        assertFalse(tap.isActive());
        s.close();
        CaptureStats st = s.stats();
        assertEquals(new CaptureStats(20, 10, 10, 0, 10), st);
        List<CaptureRecord> recs = new CaptureFileReader(new ByteArrayInputStream(bos.toByteArray())).readAll();
        assertEquals(10, recs.size());
        for (int i = 0; i < 10; i++) {
            CaptureRecord r = recs.get(i);
            assertEquals(1000 + i, r.timestampNanos());
            assertEquals(40, r.data().length);
            assertEquals(SYN.length, r.wireLength());
            assertEquals(Direction.OUTBOUND, r.direction());
            assertArrayEquals(java.util.Arrays.copyOf(SYN, 40), r.data());
        }
    }

    /** tcpdump's -c: exactly the first N accepted frames are written, however fast they come. */
    @Test void limitWritesExactlyTheFirstFrames() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CaptureSession s = CaptureSession.start((BpfProgram) null, 262144,
                new PcapWriter(bos, 262144, TimestampResolution.NANOSECONDS, false), 64).limit(3);
        for (int i = 0; i < 10; i++) s.offer(ByteBuffer.wrap(UDP), 0, UDP.length, 5000 + i, Direction.INBOUND);
        s.close();
        List<CaptureRecord> recs = new CaptureFileReader(new ByteArrayInputStream(bos.toByteArray())).readAll();
        assertEquals(3, recs.size());
        assertEquals(3, s.stats().written());
        for (int i = 0; i < 3; i++) assertEquals(5000 + i, recs.get(i).timestampNanos());
    }

    /** A sink that blocks until released: the producer must never wait, and must count drops. */
    @Test void slowSinkCausesDropsNotStalls() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        PacketSink slow = new PacketSink() {
            int n;
            @Override public void write(long t, ByteBuffer d, int o, int c, int w, Direction dir) throws IOException {
                entered.countDown();
                try { release.await(); } catch (InterruptedException e) { throw new IOException(e); }
                n++;
            }
            @Override public void flush() {}
            @Override public void close() {}
        };
        CaptureSession s = CaptureSession.start((BpfProgram) null, 65535, slow, 8);
        CaptureTap tap = new CaptureTap();
        tap.add(s);
        ByteBuffer f = ByteBuffer.wrap(SYN);
        tap.capture(f, 0, SYN.length, 0, Direction.INBOUND);
        assertTrue(entered.await(10, TimeUnit.SECONDS)); // the writer holds frame 0 in the sink
        long t0 = System.nanoTime();
        for (int i = 1; i <= 1000; i++) tap.capture(f, 0, SYN.length, i, Direction.INBOUND);
        long elapsed = System.nanoTime() - t0;
        assertTrue(elapsed < TimeUnit.SECONDS.toNanos(2), "capture stalled: " + elapsed + " ns");
        CaptureStats st = s.stats();
        assertEquals(1001, st.received());
        // the slot being written stays claimed until the sink returns: 8 frames queued in all
        assertEquals(1001 - 8, st.dropped(), "queue of 8 full while the sink blocks");
        release.countDown();
        tap.remove(s);
        s.close();
        assertEquals(8, s.stats().written());
    }

    @Test void concurrentAddRemoveWhileCapturing() throws Exception {
        CaptureTap tap = new CaptureTap();
        ByteArrayOutputStream[] outs = new ByteArrayOutputStream[4];
        CaptureSession[] ss = new CaptureSession[4];
        for (int i = 0; i < 4; i++) {
            outs[i] = new ByteArrayOutputStream();
            ss[i] = CaptureSession.start("", 65535, new PcapWriter(outs[i], 65535, TimestampResolution.MICROSECONDS, false), 1 << 16);
        }
        Thread loop = new Thread(() -> {
            ByteBuffer f = ByteBuffer.wrap(UDP);
            for (int i = 0; i < 200_000; i++) tap.capture(f, 0, UDP.length, i, Direction.INBOUND);
        });
        loop.start();
        for (int round = 0; round < 200; round++) {
            CaptureSession s = ss[round % 4];
            if (round % 2 == 0) tap.add(s); else tap.remove(s);
        }
        loop.join();
        for (CaptureSession s : ss) { tap.remove(s); s.close(); }
        for (int i = 0; i < 4; i++) {
            CaptureStats st = ss[i].stats();
            assertEquals(st.received(), st.written() + st.dropped());
            assertEquals(st.written(), new CaptureFileReader(new ByteArrayInputStream(outs[i].toByteArray())).readAll().size());
        }
    }

    @Test void closedPipeStopsWritingWithoutAffectingCapture() throws Exception {
        PacketSink broken = new PacketSink() {
            @Override public void write(long t, ByteBuffer d, int o, int c, int w, Direction dir) throws IOException { throw new IOException("Broken pipe"); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        CaptureSession s = CaptureSession.start("", 100, broken, 16);
        CaptureTap tap = new CaptureTap();
        tap.add(s);
        for (int i = 0; i < 100; i++) tap.capture(ByteBuffer.wrap(SYN), 0, SYN.length, i, Direction.INBOUND);
        tap.remove(s);
        IOException e = assertThrows(IOException.class, s::close);
        assertEquals("Broken pipe", e.getMessage());
        assertEquals(0, s.stats().written());
    }

    /** inbound/outbound: the session gives the filter the frame's direction as Linux's packet type. */
    @Test void inboundAndOutboundFollowTheDirection() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        CaptureSession s = CaptureSession.start("outbound", 262144, new PcapngWriter(bos, "tap0", 262144, TimestampResolution.NANOSECONDS, false), 64);
        for (int i = 0; i < 5; i++) {
            s.offer(ByteBuffer.wrap(SYN), 0, SYN.length, 1000 + i, Direction.OUTBOUND);
            s.offer(ByteBuffer.wrap(UDP), 0, UDP.length, 2000 + i, Direction.INBOUND);
            s.offer(ByteBuffer.wrap(UDP), 0, UDP.length, 3000 + i, Direction.UNKNOWN);
        }
        s.close();
        assertEquals(new CaptureStats(15, 10, 5, 0, 5), s.stats());
        for (CaptureRecord r : new CaptureFileReader(new ByteArrayInputStream(bos.toByteArray())).readAll()) {
            assertEquals(Direction.OUTBOUND, r.direction());
        }
        CaptureSession in = CaptureSession.start("inbound and udp", 262144, new PcapWriter(new ByteArrayOutputStream(), 262144, TimestampResolution.MICROSECONDS, false), 64);
        in.offer(ByteBuffer.wrap(SYN), 0, SYN.length, 1, Direction.OUTBOUND);
        in.offer(ByteBuffer.wrap(UDP), 0, UDP.length, 2, Direction.INBOUND);
        in.offer(ByteBuffer.wrap(UDP), 0, UDP.length, 3, Direction.OUTBOUND);
        in.offer(ByteBuffer.wrap(UDP), 0, UDP.length, 4, Direction.UNKNOWN);
        in.close();
        assertEquals(1, in.stats().received());
    }
}
