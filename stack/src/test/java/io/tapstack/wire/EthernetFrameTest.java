package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.tapstack.Frames.golden;
import static io.tapstack.Frames.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EthernetFrameTest {
    private final EthernetFrame eth = new EthernetFrame();

    @Test
    void emitThenParseRoundTripsAtAnOffset() {
        ByteBuffer b = ByteBuffer.allocate(100);
        EthernetFrame.emit(b, 7, 0x0123456789abL, 0x02fedcba9876L, EthernetFrame.TYPE_IPV6);
        eth.wrap(b, 7, 64);
        assertTrue(eth.check());
        assertEquals(0x0123456789abL, eth.dst());
        assertEquals(0x02fedcba9876L, eth.src());
        assertEquals(EthernetFrame.TYPE_IPV6, eth.etherType());
        assertFalse(eth.vlanTagged());
        assertEquals(0, eth.vlanId());
        assertEquals(14, eth.headerLength());
        assertEquals(21, eth.payloadOffset());
        assertEquals(50, eth.payloadLength());
        // the bytes are where IEEE 802.3 puts them: dst, src, type, big-endian
        byte[] hdr = new byte[14];
        b.get(7, hdr);
        assertArrayEquals(hex("0123456789ab 02fedcba9876 86dd"), hdr);
    }

    @Test
    void goldenArpRequestFromLinux() {
        byte[] f = golden("arp-request");
        eth.wrap(ByteBuffer.wrap(f), 0, f.length);
        assertTrue(eth.check());
        assertEquals(0xffff_ffff_ffffL, eth.dst());
        assertEquals(0x02000000000aL, eth.src());
        assertEquals(EthernetFrame.TYPE_ARP, eth.etherType());
        assertEquals(28, eth.payloadLength());
    }

    @Test
    void goldenIcmpFrameFromLinux() {
        byte[] f = golden("icmp-echo-request-56");
        eth.wrap(ByteBuffer.wrap(f), 0, f.length);
        assertTrue(eth.check());
        assertEquals(0x02000000000bL, eth.dst());
        assertEquals(0x02000000000aL, eth.src());
        assertEquals(EthernetFrame.TYPE_IPV4, eth.etherType());
        assertEquals(84, eth.payloadLength());
    }

    @Test
    void vlanTaggedFrame_ieee8021Q() {
        // dst, src, TPID 0x8100, TCI (PCP 5, VID 100), inner type IPv4
        byte[] f = hex("020000000002 020000000001 8100 a064 0800 4500");
        eth.wrap(ByteBuffer.wrap(f), 0, f.length);
        assertTrue(eth.check());
        assertTrue(eth.vlanTagged());
        assertEquals(100, eth.vlanId());
        assertEquals(EthernetFrame.TYPE_IPV4, eth.etherType());
        assertEquals(18, eth.headerLength());
        assertEquals(18, eth.payloadOffset());
        assertEquals(2, eth.payloadLength());
    }

    @Test
    void checkRejectsRunts() {
        for (int len = 0; len < 14; len++) {
            assertFalse(eth.wrap(ByteBuffer.allocate(64), 0, len).check(), "len " + len);
        }
        assertTrue(eth.wrap(ByteBuffer.allocate(64), 0, 14).check());
        byte[] tagged = hex("020000000002 020000000001 8100 0064 0800");
        for (int len = 14; len < 18; len++) {
            assertFalse(eth.wrap(ByteBuffer.wrap(tagged), 0, len).check(), "tagged len " + len);
        }
        assertTrue(eth.wrap(ByteBuffer.wrap(tagged), 0, 18).check());
    }

    @Test
    void rewrapForgetsThePreviousVlanTag() {
        byte[] tagged = hex("020000000002 020000000001 8100 0064 0800");
        assertTrue(eth.wrap(ByteBuffer.wrap(tagged), 0, 18).check());
        byte[] plain = hex("020000000002 020000000001 0806 0000");
        assertTrue(eth.wrap(ByteBuffer.wrap(plain), 0, plain.length).check());
        assertFalse(eth.vlanTagged());
        assertEquals(EthernetFrame.TYPE_ARP, eth.etherType());
        assertEquals(14, eth.payloadOffset());
    }
}
