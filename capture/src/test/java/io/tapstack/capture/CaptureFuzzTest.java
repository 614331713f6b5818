package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random and mangled input never throws anything but the documented exception types. */
class CaptureFuzzTest {
    static final String[] WORDS = {
            "tcp", "udp", "ip", "ip6", "port", "host", "net", "src", "dst", "and", "or", "not", "!", "(", ")", "[", "]",
            ":", "=", "!=", "<", ">", ">=", "<=", "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "80", "0", "4",
            "1.2.3.4", "10.1", "fe80::1", "::", "1:2:3:4:5:6", "vlan", "ether", "proto", "len", "less", "greater",
            "tcpflags", "tcp-syn", "icmp", "icmp6", "mask", "255.0.0.0", "/", "8", "portrange", "1-1024", "broadcast",
            "multicast", "arp", "\\ip", "0x800", "icmptype", "&&", "||", "gateway", "sctp", "4294967295", "99999999999"};

    @Test void randomFilterExpressionsOnlyRaiseFilterSyntaxException() {
        Random r = new Random(1234);
        List<Frames.Packet> packets = Frames.packets(3).subList(0, 200);
        int compiled = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(9);
            for (int j = 0; j < n; j++) {
                if (r.nextInt(20) == 0) sb.append((char) (32 + r.nextInt(95)));
                else sb.append(WORDS[r.nextInt(WORDS.length)]);
                if (r.nextInt(4) != 0) sb.append(' ');
            }
            String expr = sb.toString();
            BpfProgram p;
            try {
                p = FilterCompiler.compile(expr);
            } catch (FilterSyntaxException e) {
                assertNotNull(e.getMessage());
                assertTrue(e.column() >= 1 && e.column() <= expr.length() + 1, expr + " -> " + e.getMessage());
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError("'" + expr + "' threw " + e, e);
            }
            compiled++;
            BpfFilter a = p.filter(), b = p.interpreter();
            for (Frames.Packet pk : packets)
                assertEquals(b.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()), a.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()), expr);
        }
        assertTrue(compiled > 200, "compiled " + compiled);
    }

    @Test void randomBytesThroughFiltersNeverThrow() {
        Random r = new Random(99);
        BpfFilter[] fs = {
                FilterCompiler.compile("tcp port 80 or udp portrange 1-100 or icmp6").filter(),
                FilterCompiler.compile("vlan and vlan and tcp[tcp[12] >> 4] = 0").filter(),
                FilterCompiler.compile("ip[ip[0] & 0xf] = 1 or ip6[40] = 6").filter()};
        for (int i = 0; i < 50_000; i++) {
            byte[] b = new byte[r.nextInt(128)];
            r.nextBytes(b);
            for (BpfFilter f : fs) f.filter(b, 0, b.length, r.nextInt());
        }
    }

    @Test void randomAndMangledCaptureFilesRaiseOnlyIOException() throws IOException {
        Random r = new Random(5);
        ByteArrayOutputStream a = new ByteArrayOutputStream(), b = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(a, 65535, TimestampResolution.NANOSECONDS, false);
             PcapngWriter g = new PcapngWriter(b, "tap0", 65535, TimestampResolution.MICROSECONDS, false)) {
            for (Frames.Packet p : Frames.packets(1).subList(0, 50)) {
                w.write(1, p.bytes(), 0, p.caplen(), p.wirelen(), Direction.INBOUND);
                g.write(1, p.bytes(), 0, p.caplen(), p.wirelen(), Direction.OUTBOUND);
            }
        }
        byte[][] seeds = {a.toByteArray(), b.toByteArray()};
        for (int i = 0; i < 4000; i++) {
            byte[] f;
            if (i % 4 == 0) {
                f = new byte[r.nextInt(200)];
                r.nextBytes(f);
            } else {
                f = seeds[i % 2].clone();
                int n = 1 + r.nextInt(6);
                for (int j = 0; j < n; j++) f[r.nextInt(f.length)] = (byte) r.nextInt(256);
                if (r.nextBoolean()) f = java.util.Arrays.copyOf(f, r.nextInt(f.length));
            }
            try (CaptureFileReader rd = new CaptureFileReader(new ByteArrayInputStream(f))) {
                rd.readAll();
            } catch (IOException expected) {
                // fine
            }
        }
    }

    @Test void randomDdTextRaisesOnlyIllegalArgument() {
        Random r = new Random(8);
        for (int i = 0; i < 5000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(5);
            for (int j = 0; j < n; j++)
                sb.append(String.format("{ 0x%x, %d, %d, 0x%08x },\n", r.nextInt(0x100), r.nextInt(4), r.nextInt(4), r.nextInt(40)));
            try {
                BpfProgram p = BpfProgram.parse(sb.toString());
                p.filter().filter(new byte[r.nextInt(50)]);
            } catch (IllegalArgumentException expected) {
                // includes BpfValidationException
            }
        }
    }
}
