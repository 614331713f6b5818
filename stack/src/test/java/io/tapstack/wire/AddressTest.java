package io.tapstack.wire;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MacAddress, Ipv4Address, IpAddr and the RFC 5952 text form of IPv6 addresses. */
class AddressTest {
    // ---- MAC ----

    @Test
    void macParseAndFormat() {
        MacAddress m = MacAddress.parse("02:00:5E:10:aB:ff");
        assertEquals(0x02005e10abffL, m.bits());
        assertEquals("02:00:5e:10:ab:ff", m.toString());
        assertEquals(m, MacAddress.parse("02-00-5e-10-ab-ff"));
        assertEquals(m, MacAddress.parse(" 02:00:5e:10:ab:ff "));
        assertEquals("00:00:00:00:00:01", MacAddress.of(1).toString());
        assertEquals("01:02:03:04:05:06", MacAddress.parse("1:2:3:4:5:6").toString());
        assertArrayEquals(new byte[] {2, 0, 0x5e, 0x10, (byte) 0xab, (byte) 0xff}, m.toBytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "02:00:00:00:00", "02:00:00:00:00:00:00", "02:00:00:00:00:001", "02:00:00:00::01",
            "02:00:00:00:00:gg", "0200.0000.0001", "02:00:00:00:00:01:", ":02:00:00:00:00:01", "02:00:00:00:00:+1",
            "02:00:00:00:00:-1"})
    void macParseErrors(String s) {
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(s));
    }

    @Test
    void macReadWriteAndClasses() {
        ByteBuffer b = ByteBuffer.allocate(10);
        MacAddress.write(b, 2, 0xfedcba987654L);
        assertEquals(0xfedcba987654L, MacAddress.read(b, 2));
        assertEquals((byte) 0xfe, b.get(2));
        assertEquals((byte) 0x54, b.get(7));
        assertEquals(0, b.get(8));
        assertTrue(MacAddress.BROADCAST.isBroadcast());
        assertTrue(MacAddress.BROADCAST.isMulticast());
        assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertTrue(MacAddress.parse("33:33:00:00:00:01").isMulticast());
        assertFalse(MacAddress.parse("02:00:00:00:00:01").isMulticast());
        assertEquals(0xffffffffffffL, MacAddress.of(-1).bits(), "bits above 48 are dropped");
        for (int i = 0; i < 100; i++) {
            MacAddress r = MacAddress.randomLocal();
            assertEquals(0x02, (r.bits() >>> 40) & 0x03, "locally administered unicast (IEEE 802 U/L and I/G bits)");
        }
    }

    // ---- IPv4 ----

    @Test
    void ipv4ParseAndFormat() {
        assertEquals(0x0a000001, Ipv4Address.parse("10.0.0.1"));
        assertEquals(0xffffffff, Ipv4Address.parse("255.255.255.255"));
        assertEquals(0, Ipv4Address.parse("0.0.0.0"));
        assertEquals(0xc0a80101, Ipv4Address.parse(" 192.168.1.1 "));
        assertEquals("192.168.1.1", Ipv4Address.toString(0xc0a80101));
        assertEquals("255.255.255.255", Ipv4Address.toString(-1));
        assertEquals("0.0.0.0", Ipv4Address.toString(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.-1", "a.b.c.d",
            "1.2.3.4/24", "1.2.3.0004", "1.2.3.+4", "1.2.3.\u0664"})
    void ipv4ParseErrors(String s) {
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(s));
    }

    @Test
    void ipv4Classes_rfc1122s3213() {
        assertEquals(0xffffff00, Ipv4Address.mask(24));
        assertEquals(0, Ipv4Address.mask(0));
        assertEquals(-1, Ipv4Address.mask(32));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("224.0.0.1")));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("239.255.255.255")));
        assertFalse(Ipv4Address.isMulticast(Ipv4Address.parse("240.0.0.1")));
        assertTrue(Ipv4Address.isLoopback(Ipv4Address.parse("127.1.2.3")));
        assertTrue(Ipv4Address.isClassE(Ipv4Address.parse("240.0.0.1")));
        assertFalse(Ipv4Address.isClassE(Ipv4Address.BROADCAST));
        assertTrue(Ipv4Address.isThisNetwork(Ipv4Address.parse("0.1.2.3")));
        assertFalse(Ipv4Address.isThisNetwork(Ipv4Address.parse("1.0.0.0")));
    }

    // ---- IPv6 text, RFC 5952 ----

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",   // §4.1 leading zeros, §4.2.1 shorten
            "0:0:0:0:0:0:0:0, ::",
            "0:0:0:0:0:0:0:1, ::1",
            "1:0:0:0:0:0:0:0, 1::",
            "fe80:0:0:0:1:0:0:1, fe80::1:0:0:1",                      // §4.2.3 the longest run
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",                // §4.2.3 the first of equal runs
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",                      // §4.2.3 the longest, even if later
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",             // §4.2.2 one 0 word is not compressed
            "2001:DB8:0:0:0:0:ABCD:EF01, 2001:db8::abcd:ef01",        // §4.3 lowercase
            "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
            "0:1:2:3:4:5:6:7, 0:1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:0, 1:2:3:4:5:6:7:0",
            "0:0:1:2:3:4:5:6, ::1:2:3:4:5:6",
            "ff02::1:ff00:1, ff02::1:ff00:1",
    })
    void ipv6TextRfc5952(String in, String expected) {
        assertEquals(expected, IpAddr.parse(in).toString());
    }

    @Test
    void ipv6FormatFromBits() {
        assertEquals("2001:db8::1", Ipv6Text.format(0x20010db800000000L, 1L));
        assertEquals("::", Ipv6Text.format(0, 0));
        assertEquals("fe80::1:0:0:1", Ipv6Text.format(0xfe80000000000000L, 0x0001000000000001L));
        assertEquals("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Ipv6Text.format(-1L, -1L));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1:2:3:4:5:6:7:8:9", "::1::", "1:::2", "12345::", "g::1", "fe80::1%eth0", "[::1]",
            "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7", "::ffff:1.2.3.256", ".::1", "1.2.3.4::", "::1 x"})
    void ipv6ParseErrors(String s) {
        assertThrows(IllegalArgumentException.class, () -> IpAddr.parse(s));
    }

    @Test
    void ipAddrV4MappedAndBytes_rfc4291s2552() {
        IpAddr a = IpAddr.parse("10.0.0.1");
        assertTrue(a.isV4());
        assertEquals(0x0a000001, a.v4());
        assertEquals(0L, a.hi());
        assertEquals(0x0000ffff0a000001L, a.lo());
        assertEquals("10.0.0.1", a.toString());
        assertEquals(a, IpAddr.parse("::ffff:10.0.0.1"), "an IPv4-mapped literal is the IPv4 address");
        assertEquals(a, IpAddr.ofBytes(new byte[] {10, 0, 0, 1}));
        assertArrayEquals(new byte[] {10, 0, 0, 1}, a.toBytes());
        assertEquals(a.hashCode(), IpAddr.ofV4(0x0a000001).hashCode());
        IpAddr v6 = IpAddr.parse("2001:db8::1");
        assertFalse(v6.isV4());
        assertEquals(v6, IpAddr.ofBytes(v6.toBytes()));
        assertEquals(16, v6.toBytes().length);
        assertEquals(v6, IpAddr.ofBytes(v6.toInetAddress().getAddress()));
        assertNotEquals(v6, IpAddr.parse("2001:db8::2"));
        assertTrue(IpAddr.V4_ANY.isAny());
        assertTrue(IpAddr.V6_ANY.isAny());
        assertTrue(IpAddr.parse("::").isAny());
        assertFalse(a.isAny());
        assertThrows(IllegalArgumentException.class, () -> IpAddr.ofBytes(new byte[5]));
    }
}
