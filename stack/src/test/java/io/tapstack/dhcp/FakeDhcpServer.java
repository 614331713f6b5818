package io.tapstack.dhcp;

import io.tapstack.Frames;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.PairLink;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.EthernetFrame;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted DHCP server (and ARP observer) on the far end of an in-memory wire: it reads what
 * the client stack sends, records it, and answers as the test tells it to, with frames it
 * builds itself (so the client is checked against bytes, not against our own server code).
 */
final class FakeDhcpServer {
    static final long MAC = 0x02000000_00feL;
    static final int SERVER = 0x0a000001;     // 10.0.0.1
    static final int OFFERED = 0x0a000032;    // 10.0.0.50
    static final int DNS1 = 0x0a000001;

    /** One DHCP message the client sent, with its IP and Ethernet addressing. */
    record Sent(DhcpMessage m, int ipSrc, int ipDst, long ethDst, long at) {
    }

    enum Mode { ACK, NAK, SILENT }

    final PairLink far;   // the server's end
    final PairLink near;  // the client's end: inject() puts frames into its inbox
    final PacketPool pool = PacketPool.forMtu(1500);
    final PacketBuf[] burst = new PacketBuf[64];
    final List<Sent> sent = new ArrayList<>();
    final List<byte[]> arp = new ArrayList<>();
    Mode discoverMode = Mode.ACK;   // ACK = answer with an OFFER
    Mode requestMode = Mode.ACK;
    Mode renewMode = Mode.ACK;      // REQUESTs with ciaddr set (RENEWING, REBINDING)
    int ignoreDiscovers;
    long leaseSeconds = 120;
    long t1 = -1;
    long t2 = -1;
    int offered = OFFERED;
    boolean claimOffered;  // answer a probe for the offered address as its owner
    long now;

    FakeDhcpServer(PairLink near, PairLink far) {
        this.near = near;
        this.far = far;
    }

    List<Sent> sent(int type) {
        return sent.stream().filter(s -> s.m().messageType == type).toList();
    }

    /** Reads every frame the client sent and answers. */
    void step(long now) {
        this.now = now;
        int n;
        while ((n = far.receive(pool, burst, burst.length)) > 0) {
            for (int i = 0; i < n; i++) {
                byte[] f = burst[i].toArray();
                burst[i].release();
                burst[i] = null;
                handle(f);
            }
        }
    }

    private void handle(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        int type = Frames.etherType(f);
        if (type == EthernetFrame.TYPE_ARP) {
            arp.add(f);
            int spa = b.getInt(14 + 14);
            int tpa = b.getInt(14 + 24);
            int op = b.getShort(14 + 6);
            long sha = ((b.getShort(14 + 8) & 0xffffL) << 32) | (b.getInt(14 + 10) & 0xffff_ffffL);
            if (op == ArpPacket.OP_REQUEST && tpa == SERVER && spa != 0) {
                near.inject(Frames.arpFrame(sha, MAC, ArpPacket.OP_REPLY, MAC, SERVER, sha, spa));
            }
            if (claimOffered && spa == 0 && tpa == offered) {
                long client = ((b.getShort(14 + 8) & 0xffffL) << 32) | (b.getInt(14 + 10) & 0xffff_ffffL);
                near.inject(Frames.arpFrame(client, 0x02000000_0077L, ArpPacket.OP_REPLY, 0x02000000_0077L, offered, client, 0));
            }
            return;
        }
        if (type != EthernetFrame.TYPE_IPV4 || f[14 + 9] != 17) {
            return;
        }
        int ihl = (f[14] & 0x0f) * 4;
        int u = 14 + ihl;
        if ((b.getShort(u + 2) & 0xffff) != 67) {
            return;
        }
        DhcpMessage m = new DhcpMessage();
        int len = (b.getShort(u + 4) & 0xffff) - 8;
        if (m.parse(b, u + 8, len) != DhcpMessage.Error.NONE) {
            throw new AssertionError("client sent a malformed DHCP message");
        }
        long ethDst = ((b.getShort(0) & 0xffffL) << 32) | (b.getInt(2) & 0xffff_ffffL);
        sent.add(new Sent(m, b.getInt(14 + 12), b.getInt(14 + 16), ethDst, now));
        switch (m.messageType) {
            case DhcpMessage.DISCOVER -> {
                if (ignoreDiscovers > 0) {
                    ignoreDiscovers--;
                    return;
                }
                if (discoverMode == Mode.ACK) {
                    reply(m, DhcpMessage.OFFER, offered);
                }
            }
            case DhcpMessage.REQUEST -> {
                Mode mode = m.ciaddr != 0 ? renewMode : requestMode;
                if (mode == Mode.SILENT) {
                    return;
                }
                int addr = m.ciaddr != 0 ? m.ciaddr : m.requestedIp;
                reply(m, mode == Mode.ACK ? DhcpMessage.ACK : DhcpMessage.NAK, mode == Mode.ACK ? addr : 0);
            }
            default -> {
            }
        }
    }

    void reply(DhcpMessage req, int type, int yiaddr) {
        ByteBuffer d = ByteBuffer.allocate(300);
        int at = DhcpMessage.emitHeader(d, 0, req.xid, 0, req.flags, req.ciaddr, req.chaddr, type);
        d.put(DhcpMessage.OP, (byte) DhcpMessage.BOOTREPLY);
        d.putInt(DhcpMessage.YIADDR, yiaddr);
        at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_SERVER_ID, SERVER);
        if (type != DhcpMessage.NAK) {
            at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_LEASE_TIME, (int) leaseSeconds);
            if (t1 >= 0) {
                at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_T1, (int) t1);
            }
            if (t2 >= 0) {
                at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_T2, (int) t2);
            }
            at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_SUBNET_MASK, 0xffffff00);
            at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_ROUTER, SERVER);
            at = DhcpMessage.emitInt(d, at, DhcpMessage.OPT_DNS, DNS1);
        }
        d.put(at, (byte) DhcpMessage.OPT_END);
        byte[] payload = d.array();
        boolean bcast = (req.flags & DhcpMessage.FLAG_BROADCAST) != 0 || req.ciaddr == 0;
        int dst = bcast ? -1 : req.ciaddr;
        long ethDst = bcast ? Frames.BROADCAST : req.chaddr;
        near.inject(Frames.ipv4(ethDst, MAC, SERVER, dst, 17, Frames.udp4(SERVER, dst, 67, 68, payload, -1)));
    }

    /** Injects raw bytes as a UDP datagram from the server to port 68 (for malformed-input tests). */
    void injectRaw(byte[] payload) {
        near.inject(Frames.ipv4(Frames.BROADCAST, MAC, SERVER, -1, 17, Frames.udp4(SERVER, -1, 67, 68, payload, -1)));
    }
}
