package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.tapstack.Frames.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 826 packet layout, for Ethernet (htype 1) and IPv4 (ptype 0x0800). */
class ArpPacketTest {
    private static final long MAC_A = 0x02000000000aL;
    private static final long MAC_B = 0x02000000000bL;
    private static final int IP_A = 0x0a090001;
    private static final int IP_B = 0x0a090002;
    private final ArpPacket arp = new ArpPacket();

    private ArpPacket view(byte[] f) {
        return arp.wrap(ByteBuffer.wrap(f), 14, f.length - 14);
    }

    @Test
    void goldenRequestFromLinux() {
        ArpPacket a = view(golden("arp-request"));
        assertEquals(ArpPacket.Error.NONE, a.check());
        assertEquals(ArpPacket.OP_REQUEST, a.operation());
        assertEquals(MAC_A, a.senderMac());
        assertEquals(IP_A, a.senderIp());
        assertEquals(0L, a.targetMac());
        assertEquals(IP_B, a.targetIp());
    }

    @Test
    void goldenReplyFromLinux() {
        ArpPacket a = view(golden("arp-reply"));
        assertEquals(ArpPacket.Error.NONE, a.check());
        assertEquals(ArpPacket.OP_REPLY, a.operation());
        assertEquals(MAC_B, a.senderMac());
        assertEquals(IP_B, a.senderIp());
        assertEquals(MAC_A, a.targetMac());
        assertEquals(IP_A, a.targetIp());
    }

    @Test
    void emitReproducesLinuxBytesExactly() {
        byte[] req = golden("arp-request");
        byte[] mine = new byte[28];
        ArpPacket.emit(ByteBuffer.wrap(mine), 0, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0, IP_B);
        assertArrayEquals(Arrays.copyOfRange(req, 14, 42), mine);
        byte[] rep = golden("arp-reply");
        ArpPacket.emit(ByteBuffer.wrap(mine), 0, ArpPacket.OP_REPLY, MAC_B, IP_B, MAC_A, IP_A);
        assertArrayEquals(Arrays.copyOfRange(rep, 14, 42), mine);
    }

    @Test
    void emitThenParseAtAnOffset() {
        ByteBuffer b = ByteBuffer.allocate(64);
        ArpPacket.emit(b, 5, ArpPacket.OP_REPLY, 0x0a0b0c0d0e0fL, 0xc0a80101, 0x112233445566L, 0xc0a801fe);
        arp.wrap(b, 5, 28);
        assertEquals(ArpPacket.Error.NONE, arp.check());
        assertEquals(ArpPacket.OP_REPLY, arp.operation());
        assertEquals(0x0a0b0c0d0e0fL, arp.senderMac());
        assertEquals(0xc0a80101, arp.senderIp());
        assertEquals(0x112233445566L, arp.targetMac());
        assertEquals(0xc0a801fe, arp.targetIp());
    }

    @Test
    void paddingAfterThe28BytesIsAccepted() {
        byte[] p = new byte[46]; // minimum Ethernet payload
        ArpPacket.emit(ByteBuffer.wrap(p), 0, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0, IP_B);
        assertEquals(ArpPacket.Error.NONE, arp.wrap(ByteBuffer.wrap(p), 0, p.length).check());
    }

    private ArpPacket.Error checkWith(int at, int value, boolean word) {
        byte[] p = new byte[28];
        ByteBuffer b = ByteBuffer.wrap(p);
        ArpPacket.emit(b, 0, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0, IP_B);
        if (word) {
            b.putShort(at, (short) value);
        } else {
            b.put(at, (byte) value);
        }
        return arp.wrap(b, 0, 28).check();
    }

    @Test
    void everyCheckErrorPath() {
        for (int len = 0; len < 28; len++) {
            assertEquals(ArpPacket.Error.TRUNCATED, arp.wrap(ByteBuffer.allocate(28), 0, len).check(), "len " + len);
        }
        assertEquals(ArpPacket.Error.BAD_HTYPE, checkWith(ArpPacket.HTYPE, 6, true)); // IEEE 802
        assertEquals(ArpPacket.Error.BAD_HTYPE, checkWith(ArpPacket.HTYPE, 0x0100, true)); // byte-swapped
        assertEquals(ArpPacket.Error.BAD_PTYPE, checkWith(ArpPacket.PTYPE, 0x86dd, true));
        assertEquals(ArpPacket.Error.BAD_HLEN, checkWith(ArpPacket.HLEN, 8, false));
        assertEquals(ArpPacket.Error.BAD_PLEN, checkWith(ArpPacket.PLEN, 16, false));
        assertEquals(ArpPacket.Error.BAD_OPERATION, checkWith(ArpPacket.OPER, 0, true));
        assertEquals(ArpPacket.Error.BAD_OPERATION, checkWith(ArpPacket.OPER, 3, true)); // RARP request
        assertEquals(ArpPacket.Error.BAD_OPERATION, checkWith(ArpPacket.OPER, 0xffff, true));
        assertEquals(ArpPacket.Error.NONE, checkWith(ArpPacket.OPER, 2, true));
    }
}
