package io.tapstack.capture;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Hand-built Ethernet frames for filter tests (checksums are not computed: filters never read them). */
final class Frames {
    private Frames() {}

    static final byte[] MAC_A = mac("02:00:00:00:00:0a");
    static final byte[] MAC_B = mac("02:00:00:00:00:0b");
    static final byte[] BCAST = mac("ff:ff:ff:ff:ff:ff");
    static final byte[] MCAST6 = mac("33:33:00:00:00:01");

    static byte[] mac(String s) { return Addresses.parseMac(s); }

    static byte[] v4(String s) {
        int v = Addresses.parseIpv4(s);
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] v6(String s) { return Addresses.parseIpv6(s); }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static byte[] u16(int v) { return new byte[] {(byte) (v >>> 8), (byte) v}; }

    static byte[] eth(byte[] dst, byte[] src, int type, byte[] payload) { return cat(dst, src, u16(type), payload); }

    /** An 802.1Q (or other TPID) tag inserted before the ethertype. */
    static byte[] vlanEth(byte[] dst, byte[] src, int tpid, int tci, int type, byte[] payload) {
        return cat(dst, src, u16(tpid), u16(tci), u16(type), payload);
    }

    static byte[] ipv4(String src, String dst, int proto, byte[] payload) { return ipv4(src, dst, proto, 0, 0, 64, payload); }

    /** IPv4 with flags/fragment offset word and optional options (multiple of 4 bytes). */
    static byte[] ipv4(String src, String dst, int proto, int fragWord, int optLen, int ttl, byte[] payload) {
        int ihl = 5 + optLen / 4;
        byte[] h = new byte[ihl * 4];
        h[0] = (byte) (0x40 | ihl);
        int total = h.length + payload.length;
        h[2] = (byte) (total >>> 8);
        h[3] = (byte) total;
        h[4] = 0x12; h[5] = 0x34;
        h[6] = (byte) (fragWord >>> 8);
        h[7] = (byte) fragWord;
        h[8] = (byte) ttl;
        h[9] = (byte) proto;
        System.arraycopy(v4(src), 0, h, 12, 4);
        System.arraycopy(v4(dst), 0, h, 16, 4);
        for (int i = 20; i < h.length; i++) h[i] = 1; // NOP options
        return cat(h, payload);
    }

    static byte[] ipv6(String src, String dst, int nh, byte[] payload) {
        byte[] h = new byte[40];
        h[0] = 0x60;
        h[4] = (byte) (payload.length >>> 8);
        h[5] = (byte) payload.length;
        h[6] = (byte) nh;
        h[7] = 64;
        System.arraycopy(v6(src), 0, h, 8, 16);
        System.arraycopy(v6(dst), 0, h, 24, 16);
        return cat(h, payload);
    }

    /** IPv6 extension header (hop-by-hop, routing, destination options): 8 bytes. */
    static byte[] ext(int nh, byte[] payload) { return cat(new byte[] {(byte) nh, 0, 1, 4, 0, 0, 0, 0}, payload); }

    /** IPv6 fragment header (44). */
    static byte[] frag6(int nh, int offsetAndFlags, byte[] payload) {
        return cat(new byte[] {(byte) nh, 0, (byte) (offsetAndFlags >>> 8), (byte) offsetAndFlags, 0, 0, 0, 7}, payload);
    }

    static byte[] tcp(int sport, int dport, int flags, int payloadLen) {
        byte[] h = new byte[20 + payloadLen];
        System.arraycopy(u16(sport), 0, h, 0, 2);
        System.arraycopy(u16(dport), 0, h, 2, 2);
        h[4] = 0x11; h[7] = 0x01;
        h[12] = 0x50;
        h[13] = (byte) flags;
        h[14] = (byte) 0xff; h[15] = (byte) 0xff;
        for (int i = 20; i < h.length; i++) h[i] = (byte) i;
        return h;
    }

    static byte[] udp(int sport, int dport, int payloadLen) {
        byte[] h = new byte[8 + payloadLen];
        System.arraycopy(u16(sport), 0, h, 0, 2);
        System.arraycopy(u16(dport), 0, h, 2, 2);
        System.arraycopy(u16(h.length), 0, h, 4, 2);
        for (int i = 8; i < h.length; i++) h[i] = (byte) (i * 3);
        return h;
    }

    static byte[] sctp(int sport, int dport) { return cat(u16(sport), u16(dport), new byte[8]); }

    static byte[] icmp(int type, int code) { return new byte[] {(byte) type, (byte) code, 0, 0, 0, 1, 0, 1, 'a', 'b', 'c', 'd'}; }

    static byte[] arp(int op, byte[] sha, String spa, byte[] tha, String tpa) {
        return cat(u16(1), u16(0x800), new byte[] {6, 4}, u16(op), sha, v4(spa), tha, v4(tpa));
    }

    /** One MPLS label stack entry: label, traffic class 0, bottom-of-stack bit, TTL 64. */
    static byte[] mpls(int label, boolean bottom) {
        int v = (label << 12) | (bottom ? 0x100 : 0) | 64;
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** A PPPoE session header (version/type 0x11, code 0) and the PPP protocol field before the payload. */
    static byte[] pppoe(int session, int pppProto, byte[] payload) {
        return cat(new byte[] {0x11, 0}, u16(session), u16(payload.length + 2), u16(pppProto), payload);
    }

    /** An AH header (RFC 4302 §2): next header, payload length (32-bit words minus 2), SPI, sequence, 12-byte ICV. */
    static byte[] ah(int nh, int len, byte[] payload) {
        byte[] h = new byte[(len + 2) * 4];
        h[0] = (byte) nh;
        h[1] = (byte) len;
        h[7] = 1;
        return cat(h, payload);
    }

    /**
     * Frames with header chains for {@code protochain}: IPv6 extension headers (RFC 8200 §4) and AH
     * (RFC 4302) in IPv4 and IPv6, a chain ended by "no next header", chains of every length up to
     * past the walk's bound, and AH chains on which libpcap's own walk misplaces the next header.
     * Not in {@link #corpus()}, whose protocol tests list their matches by name.
     */
    static Map<String, byte[]> chains() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        byte[] syn = tcp(40000, 80, 0x02, 0);
        m.put("v6-hbh-dst-rt-tcp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 0, ext(60, ext(43, ext(6, syn))))));
        m.put("v6-frag-dst-udp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 44, frag6(60, 1, ext(17, udp(53, 53, 8))))));
        m.put("v6-ah-tcp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 51, ah(6, 4, syn))));
        m.put("v6-hbh-ah-tcp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 0, ext(51, ah(6, 4, syn)))));
        m.put("v6-dst-none", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 60, ext(59, new byte[16]))));
        m.put("v4-ah-tcp", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 51, ah(6, 4, syn))));
        m.put("v4-ah-ah-udp", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 51, ah(51, 4, ah(17, 4, udp(53, 53, 8))))));
        m.put("v4-opts-ah-icmp", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 51, 0, 8, 64, ah(1, 4, icmp(8, 0)))));
        for (int n = 1; n <= 10; n++) {
            byte[] inner = udp(53, 53, 8);
            int nh = 17;
            for (int i = 0; i < n; i++) { inner = ext(nh, inner); nh = 60; }
            m.put("v6-" + n + "-dst-udp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 60, inner)));
        }
        return m;
    }

    /** UDP header carrying the given payload (length field set). */
    static byte[] udpWith(int sport, int dport, byte[] payload) {
        return cat(u16(sport), u16(dport), u16(8 + payload.length), new byte[2], payload);
    }

    /**
     * Geneve header (RFC 8926 §3.4): version (2 bits) and option length in 4-byte words (6 bits),
     * flags, protocol type, 24-bit VNI, reserved; then {@code optWords} words of options.
     */
    static byte[] geneve(int version, int optWords, int protoType, int vni, byte[] payload) {
        byte[] h = new byte[8 + 4 * optWords];
        h[0] = (byte) (version << 6 | optWords);
        h[2] = (byte) (protoType >>> 8);
        h[3] = (byte) protoType;
        h[4] = (byte) (vni >>> 16);
        h[5] = (byte) (vni >>> 8);
        h[6] = (byte) vni;
        for (int i = 8; i < h.length; i += 4) { h[i] = 0x01; h[i + 1] = 0x02; h[i + 2] = 0x03; h[i + 3] = 0x01; } // class, type, len 1
        return cat(h, payload);
    }

    /**
     * Geneve frames (RFC 8926) for {@code geneve [vni]}: over IPv4 (also with IP options and an
     * outer VLAN tag) and IPv6, with and without options, inner Ethernet (0x6558) and inner bare
     * IPv4, a wrong version, a wrong port, a later fragment. Not in {@link #corpus()}.
     */
    static Map<String, byte[]> geneveFrames() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        byte[] innerTcp = eth(MAC_B, MAC_A, 0x800, ipv4("10.1.1.1", "10.1.1.2", 6, tcp(40000, 80, 0x02, 0)));
        byte[] innerUdp6 = eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 17, udp(1, 53, 4)));
        byte[] innerArp = eth(BCAST, MAC_A, 0x806, arp(1, MAC_A, "10.1.1.1", new byte[6], "10.1.1.9"));
        m.put("gnv-v4-42-tcp80", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081, geneve(0, 0, 0x6558, 42, innerTcp)))));
        m.put("gnv-v4-42-opts2-v6udp", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081, geneve(0, 2, 0x6558, 42, innerUdp6)))));
        m.put("gnv-v4opts-7-opts1-tcp80", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, 0, 8, 64, udpWith(50000, 6081, geneve(0, 1, 0x6558, 7, innerTcp)))));
        m.put("gnv-vlan-v4-7-arp", vlanEth(MAC_B, MAC_A, 0x8100, 100, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081, geneve(0, 0, 0x6558, 7, innerArp)))));
        m.put("gnv-v6-42-opts1-tcp80", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::a", "2001:db8::b", 17, udpWith(50000, 6081, geneve(0, 1, 0x6558, 42, innerTcp)))));
        m.put("gnv-v6-0-v6udp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::a", "2001:db8::b", 17, udpWith(50000, 6081, geneve(0, 0, 0x6558, 0, innerUdp6)))));
        m.put("gnv-v4-42-rawip-tcp80", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081,
                geneve(0, 0, 0x800, 42, ipv4("10.1.1.1", "10.1.1.2", 6, tcp(40000, 80, 0x02, 0)))))));
        m.put("gnv-v4-42-opts63", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081, geneve(0, 63, 0x6558, 42, innerTcp)))));
        m.put("gnv-v4-version1", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081, geneve(1, 0, 0x6558, 42, innerTcp)))));
        m.put("gnv-v4-srcport-only", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(6081, 50000, geneve(0, 0, 0x6558, 42, innerTcp)))));
        m.put("gnv-v4-later-fragment", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, 100, 0, 64, udpWith(50000, 6081, geneve(0, 0, 0x6558, 42, innerTcp)))));
        m.put("gnv-mpls-v4-42-tcp80", eth(MAC_B, MAC_A, 0x8847, cat(mpls(100, true), ipv4("192.0.2.1", "192.0.2.2", 17,
                udpWith(50000, 6081, geneve(0, 0, 0x6558, 42, innerTcp))))));
        m.put("gnv-v4-in-gnv", eth(MAC_B, MAC_A, 0x800, ipv4("192.0.2.1", "192.0.2.2", 17, udpWith(50000, 6081, geneve(0, 1, 0x6558, 5,
                eth(MAC_B, MAC_A, 0x800, ipv4("10.1.1.1", "10.1.1.2", 17, udpWith(50001, 6081, geneve(0, 0, 0x6558, 42, innerTcp)))))))));
        return m;
    }

    /** Named corpus of well-formed frames covering the protocols the filters test. */
    static Map<String, byte[]> corpus() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("arp-request", eth(BCAST, MAC_A, 0x806, arp(1, MAC_A, "10.0.0.1", new byte[6], "10.0.0.2")));
        m.put("arp-reply", eth(MAC_A, MAC_B, 0x806, arp(2, MAC_B, "10.0.0.2", MAC_A, "10.0.0.1")));
        m.put("rarp", eth(BCAST, MAC_A, 0x8035, arp(3, MAC_A, "0.0.0.0", MAC_A, "1.2.3.4")));
        m.put("v4-tcp-syn-80", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 80, 0x02, 0))));
        m.put("v4-tcp-synack", eth(MAC_A, MAC_B, 0x800, ipv4("10.0.0.2", "10.0.0.1", 6, tcp(80, 40000, 0x12, 0))));
        m.put("v4-tcp-fin-443", eth(MAC_B, MAC_A, 0x800, ipv4("1.2.3.4", "192.168.1.10", 6, tcp(443, 51000, 0x11, 10))));
        m.put("v4-tcp-rst-22", eth(MAC_B, MAC_A, 0x800, ipv4("192.168.1.10", "1.2.3.4", 6, tcp(22, 1023, 0x04, 0))));
        m.put("v4-tcp-push-opts", eth(MAC_B, MAC_A, 0x800, ipv4("10.1.2.3", "10.0.0.2", 6, 0x4000, 8, 3, tcp(1024, 8080, 0x18, 600))));
        m.put("v4-udp-53", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "8.8.8.8", 17, udp(5353, 53, 30))));
        m.put("v4-udp-bcast", eth(BCAST, MAC_A, 0x800, ipv4("10.0.0.1", "255.255.255.255", 17, udp(68, 67, 300))));
        m.put("v4-udp-mcast", eth(mac("01:00:5e:00:00:fb"), MAC_A, 0x800, ipv4("10.0.0.1", "224.0.0.251", 17, udp(5353, 5353, 20))));
        m.put("v4-icmp-echo", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 1, icmp(8, 0))));
        m.put("v4-icmp-reply", eth(MAC_A, MAC_B, 0x800, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(0, 0))));
        m.put("v4-icmp-unreach", eth(MAC_A, MAC_B, 0x800, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(3, 3))));
        m.put("v4-sctp", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 132, sctp(80, 9))));
        m.put("v4-igmp", eth(mac("01:00:5e:00:00:16"), MAC_A, 0x800, ipv4("10.0.0.1", "224.0.0.22", 2, new byte[8])));
        // fragments: first (MF, offset 0), middle (offset 185), last (offset 370, no MF)
        m.put("v4-frag-first", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 17, 0x2000, 0, 64, udp(1000, 80, 100))));
        m.put("v4-frag-middle", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 17, 0x2000 | 185, 0, 64, udp(80, 80, 100))));
        m.put("v4-frag-last-tcp", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 6, 370, 0, 64, tcp(80, 80, 2, 20))));
        m.put("v6-tcp-80", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 6, tcp(40000, 80, 0x02, 0))));
        m.put("v6-tcp-ack", eth(MAC_A, MAC_B, 0x86dd, ipv6("2001:db8::2", "2001:db8:1::1", 6, tcp(80, 40000, 0x10, 100))));
        m.put("v6-udp-53", eth(MAC_B, MAC_A, 0x86dd, ipv6("fe80::1", "2001:db8:1:2::53", 17, udp(5353, 53, 20))));
        m.put("v6-icmp6-echo", eth(MAC_B, MAC_A, 0x86dd, ipv6("fe80::1", "fe80::2", 58, icmp(128, 0))));
        m.put("v6-icmp6-ns", eth(MCAST6, MAC_A, 0x86dd, ipv6("fe80::1", "ff02::1:ff00:2", 58, icmp(135, 0))));
        m.put("v6-hbh-tcp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 0, ext(6, tcp(40000, 80, 0x02, 0)))));
        m.put("v6-hbh-icmp6", eth(MCAST6, MAC_A, 0x86dd, ipv6("fe80::1", "ff02::16", 0, ext(58, icmp(143, 0)))));
        m.put("v6-frag-udp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 44, frag6(17, 1, udp(53, 53, 40)))));
        m.put("v6-frag-tcp-later", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 44, frag6(6, 0x100, new byte[40]))));
        m.put("v6-sctp", eth(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 132, sctp(80, 9))));
        m.put("vlan100-v4-tcp", vlanEth(MAC_B, MAC_A, 0x8100, 100, 0x800, ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 80, 0x02, 0))));
        m.put("vlan5-v6-udp", vlanEth(MAC_B, MAC_A, 0x8100, 0x2005, 0x86dd, ipv6("2001:db8::1", "2001:db8::2", 17, udp(1, 53, 8))));
        m.put("qinq-v4-udp", vlanEth(MAC_B, MAC_A, 0x88a8, 10, 0x8100, cat(u16(5), u16(0x800), ipv4("10.0.0.1", "10.0.0.2", 17, udp(53, 53, 8)))));
        m.put("vlan-arp", vlanEth(BCAST, MAC_A, 0x8100, 100, 0x806, arp(1, MAC_A, "10.0.0.1", new byte[6], "10.0.0.2")));
        m.put("llc-stp", eth(mac("01:80:c2:00:00:00"), MAC_A, 38, cat(new byte[] {0x42, 0x42, 0x03}, new byte[35])));
        m.put("ether-unknown", eth(MAC_B, MAC_A, 0x88cc, new byte[46]));
        m.put("jumbo-v4-tcp", eth(MAC_B, MAC_A, 0x800, ipv4("10.0.0.1", "10.0.0.2", 6, tcp(5000, 5001, 0x10, 1400))));
        m.put("tiny", new byte[] {1, 2, 3});
        m.put("empty", new byte[0]);
        // MPLS label stacks (RFC 3032 §2.1) and PPPoE (RFC 2516 §4, §5) carrying PPP (RFC 1661 §2)
        m.put("mpls100-v4-tcp", eth(MAC_B, MAC_A, 0x8847, cat(mpls(100, true), ipv4("10.0.0.1", "10.0.0.2", 6, tcp(40000, 80, 0x02, 0)))));
        m.put("mpls16-1024-v6-udp", eth(MAC_B, MAC_A, 0x8847, cat(mpls(16, false), mpls(1024, true),
                ipv6("2001:db8::1", "2001:db8::2", 17, udp(1, 53, 8)))));
        m.put("mpls-no-bos-v4", eth(MAC_B, MAC_A, 0x8847, cat(mpls(100, false), ipv4("10.0.0.1", "10.0.0.2", 17, udp(53, 53, 8)))));
        m.put("pppoed-padi", eth(MAC_B, MAC_A, 0x8863, new byte[] {0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0}));
        m.put("pppoes7-v4-udp", eth(MAC_B, MAC_A, 0x8864, pppoe(7, 0x21, ipv4("10.0.0.1", "10.0.0.2", 17, udp(1000, 53, 8)))));
        m.put("pppoes27-v6-tcp", eth(MAC_B, MAC_A, 0x8864, pppoe(0x27, 0x57, ipv6("2001:db8::1", "2001:db8::2", 6, tcp(40000, 80, 0x02, 0)))));
        m.put("pppoes7-lcp", eth(MAC_B, MAC_A, 0x8864, pppoe(7, 0xc021, new byte[] {1, 1, 0, 4})));
        m.put("pppoes7-mpls-v4", eth(MAC_B, MAC_A, 0x8864, pppoe(7, 0x281, cat(mpls(100, true), ipv4("10.0.0.1", "10.0.0.2", 1, icmp(8, 0))))));
        return m;
    }

    /** The corpus plus truncations of every frame at interesting lengths, plus seeded mutations. */
    static List<Packet> packets(long seed) { return packets(seed, corpus()); }

    /** These frames plus truncations at interesting lengths, seeded mutations and random frames. */
    static List<Packet> packets(long seed, Map<String, byte[]> frames) {
        List<Packet> out = new ArrayList<>();
        int[] cuts = {0, 1, 6, 12, 13, 14, 15, 16, 17, 20, 23, 24, 25, 26, 29, 30, 33, 34, 35, 36, 37, 38, 40, 41, 42, 44, 48, 53, 54, 55, 56, 57, 58, 60, 62};
        Random r = new Random(seed);
        for (Map.Entry<String, byte[]> e : frames.entrySet()) {
            byte[] f = e.getValue();
            out.add(new Packet(e.getKey(), f, f.length, f.length));
            for (int c : cuts) if (c < f.length) out.add(new Packet(e.getKey() + "/cut" + c, f, c, f.length));
            for (int i = 0; i < 6 && f.length > 0; i++) {
                byte[] m = f.clone();
                int n = 1 + r.nextInt(3);
                for (int j = 0; j < n; j++) m[r.nextInt(m.length)] = (byte) (r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(64));
                out.add(new Packet(e.getKey() + "/mut" + i, m, m.length, m.length));
            }
        }
        for (int i = 0; i < 40; i++) {
            byte[] b = new byte[r.nextInt(100)];
            r.nextBytes(b);
            if (b.length > 14 && r.nextBoolean()) { b[12] = (byte) (r.nextBoolean() ? 0x08 : 0x86); b[13] = (byte) (b[12] == 8 ? 0 : 0xdd); }
            out.add(new Packet("random" + i, b, b.length, b.length + r.nextInt(3)));
        }
        return out;
    }

    record Packet(String name, byte[] bytes, int caplen, int wirelen) {
        @Override
        public String toString() { return name + " (caplen " + caplen + ", wirelen " + wirelen + ") " + hex(Arrays.copyOf(bytes, caplen)); }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }
}
