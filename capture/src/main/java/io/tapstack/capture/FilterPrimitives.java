package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.BpfGen.*;
import static io.tapstack.capture.FilterCursor.error;
import static io.tapstack.capture.FilterOffsets.*;

import io.tapstack.capture.FilterLexer.Token;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The qualified primitives of pcap-filter(7) for {@link FilterCompiler}, as gencode.c builds them:
 * protocol names alone ({@code tcp}, {@code ip6}), {@code [src|dst] host|net} over IPv4 (with ARP
 * and RARP), IPv6 and Ethernet, {@code port}/{@code portrange} over TCP, UDP and SCTP,
 * {@code proto}, {@code broadcast} and {@code multicast}. Each reads the header offsets as they
 * stand ({@link FilterOffsets}) when it is compiled.
 */
final class FilterPrimitives {
    /** Qualifiers: protocol, direction and address type (gencode.h struct qual). */
    record Qual(String proto, String dir, String type, Token at) {}

    static final Map<String, Integer> IP_PROTOS = Map.ofEntries(
            Map.entry("icmp", 1), Map.entry("igmp", 2), Map.entry("tcp", 6), Map.entry("udp", 17),
            Map.entry("icmp6", 58), Map.entry("sctp", 132), Map.entry("esp", 50), Map.entry("ah", 51),
            Map.entry("pim", 103), Map.entry("vrrp", 112), Map.entry("igrp", 9));

    private final FilterOffsets o;
    private final int netmask;

    FilterPrimitives(FilterOffsets o, int netmask) {
        this.o = o;
        this.netmask = netmask;
    }

    /** gencode.c gen_proto_abbrev for the protocol names alone ("tcp", "ip6", ...). */
    Gen protoAbbrev(String p, Token at) {
        switch (p) {
            case "ip": return o.linktype(ETHERTYPE_IP);
            case "ip6": return o.linktype(ETHERTYPE_IPV6);
            case "arp": return o.linktype(ETHERTYPE_ARP);
            case "rarp": return o.linktype(ETHERTYPE_REVARP);
            case "tcp": case "udp": case "sctp": case "pim": case "ah": case "esp": {
                int n = IP_PROTOS.get(p);
                return or(o.ipProto(n), o.ip6Proto(n));
            }
            case "icmp": case "igmp": case "vrrp": case "igrp": return o.ipProto(IP_PROTOS.get(p));
            case "icmp6": return o.ip6Proto(58);
            default: throw error(at, "'" + p + "' must be followed by a qualifier or '['");
        }
    }

    // ====================================================================== parser

    Gen broadcast(String proto, Token at) {
        if (proto == null || proto.equals("ether") || proto.equals("link")) {
            if (o.ppp) throw error(at, "not a broadcast link");
            // ff:ff:ff:ff:ff:ff destination (gencode.c gen_broadcast, Q_LINK)
            return o.andLinkHeader(and(cmp(W, o.offLinkHdr + 2, 0xffffffff), cmp(H, o.offLinkHdr, 0xffff)));
        }
        if (proto.equals("ip")) {
            int hostmask = ~netmask;
            int off = o.offNl + 16;
            return and(o.linktype(ETHERTYPE_IP),
                    or(cmpMasked(W, off, hostmask, JEQ, 0), cmpMasked(W, off, hostmask, JEQ, hostmask)));
        }
        throw error(at, "only link-layer/IP broadcast filters supported");
    }

    Gen multicast(String proto, Token at) {
        if (proto == null || proto.equals("ether") || proto.equals("link")) {
            if (o.ppp) throw error(at, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
            return o.andLinkHeader(jset(B, o.offLinkHdr, 1));
        }
        if (proto.equals("ip")) return and(o.linktype(ETHERTYPE_IP), cmpMasked(B, o.offNl + 16, -1, JGE, 224));
        if (proto.equals("ip6")) return and(o.linktype(ETHERTYPE_IPV6), cmp(B, o.offNl + 24, 255));
        throw error(at, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
    }

    static final Map<String, Integer> ETHER_PROTOS = Map.of(
            "ip", ETHERTYPE_IP, "ip6", ETHERTYPE_IPV6, "arp", ETHERTYPE_ARP, "rarp", ETHERTYPE_REVARP,
            "loopback", 0x9000, "atalk", 0x809b, "aarp", 0x80f3, "decnet", 0x6003, "lat", 0x6004, "sca", 0x6007);

    /**
     * A few well-known service names, with the transport(s) Debian's /etc/services lists them for
     * (no lookup at run time, so results do not depend on the host). libpcap's pcap_nametoport:
     * a name known for one transport only restricts the primitive to it; one known for both
     * matches TCP, UDP and SCTP like a number.
     */
    static final Map<String, Object[]> SERVICES = Map.ofEntries(
            Map.entry("ftp-data", new Object[] {20, "tcp"}), Map.entry("ftp", new Object[] {21, "tcp"}),
            Map.entry("ssh", new Object[] {22, "tcp"}), Map.entry("telnet", new Object[] {23, "tcp"}),
            Map.entry("smtp", new Object[] {25, "tcp"}), Map.entry("domain", new Object[] {53, null}),
            Map.entry("http", new Object[] {80, "tcp"}), Map.entry("www", new Object[] {80, "tcp"}),
            Map.entry("pop3", new Object[] {110, "tcp"}), Map.entry("ntp", new Object[] {123, "udp"}),
            Map.entry("imap", new Object[] {143, "tcp"}), Map.entry("snmp", new Object[] {161, null}),
            Map.entry("bgp", new Object[] {179, "tcp"}), Map.entry("https", new Object[] {443, null}),
            Map.entry("syslog", new Object[] {514, "udp"}));

    int portNumber(Token at, String s) {
        Long n = FilterLexer.parseNumber(s);
        if (n != null) return checkPort(at, n);
        Object[] p = SERVICES.get(s);
        if (p == null) throw error(at, "unknown port '" + s + "'");
        return (Integer) p[0];
    }

    int checkPort(Token at, long n) {
        if (n > 65535) throw error(at, "illegal port number " + n + " > 65535");
        return (int) n;
    }

    /** Directional combination of a source test and a destination test (gencode.c Q_SRC/Q_DST/Q_OR/Q_AND). */
    private static Gen dir(String dir, Gen src, Gen dst) {
        if (dir == null || dir.equals("or")) return or(src, dst);
        switch (dir) {
            case "src": return src;
            case "dst": return dst;
            default: return and(src, dst);
        }
    }

    /** gencode.c gen_host / gen_hostop for IPv4 (also ARP and RARP unless a protocol is given). */
    Gen hostV4(Qual q, Token at, int addr, int mask) {
        String p = q.proto();
        if (p != null && !p.equals("ip") && !p.equals("arp") && !p.equals("rarp"))
            throw error(q.at(), "'" + p + "' modifier applied to host");
        int nl = o.offNl;
        boolean v4 = p == null || p.equals("ip"), arps = (p == null && o.mplsDepth == 0) || (p != null && !p.equals("ip"));
        Gen ipLink = v4 ? o.linktype(ETHERTYPE_IP) : null;
        Gen arpLink = arps && !"rarp".equals(p) ? o.linktype(ETHERTYPE_ARP) : null;
        Gen rarpLink = arps && !"arp".equals(p) ? o.linktype(ETHERTYPE_REVARP) : null;
        String dir = q.dir();
        boolean underMpls = o.mplsDepth > 0;
        java.util.function.Function<int[], Gen> build = vals -> {
            Gen ip = and(ipLink, dir(dir, cmpAny(W, nl + 12, mask, vals), cmpAny(W, nl + 16, mask, vals)));
            Gen arpAddrs = dir(dir, cmpAny(W, nl + 14, mask, vals), cmpAny(W, nl + 24, mask, vals));
            // gencode.c gen_host: under MPLS only IPv4 is looked for (no ARP/RARP)
            if (p == null) return underMpls ? ip : or(ip, and(or(arpLink, rarpLink), arpAddrs));
            switch (p) {
                case "ip": return ip;
                case "arp": return and(arpLink, arpAddrs);
                default: return and(rarpLink, arpAddrs);
            }
        };
        if ("and".equals(dir)) return build.apply(new int[] {addr});
        return new ListTest("host4/" + p + "/" + dir + "/" + nl + "/" + o.offLinkType + "/" + mask, build, addr);
    }

    /** gencode.c gen_host6 / gen_hostop6: four 32-bit words at nl+8 (source) or nl+24 (destination). */
    Gen hostV6(Qual q, Token at, byte[] addr, int plen) {
        String p = q.proto();
        if (p != null && !p.equals("ip6")) throw error(q.at(), "'" + p + "' modifier applied to IPv6 address");
        int nl = o.offNl;
        boolean all = o.asUnoptimised;
        return and(o.linktype(ETHERTYPE_IPV6), dir(q.dir(), addr6(nl + 8, addr, plen, all), addr6(nl + 24, addr, plen, all)));
    }

    /**
     * The four words of an IPv6 address under a prefix mask. libpcap's optimiser drops the words
     * whose mask is 0, so do we, unless the program is unoptimised ({@code all}: after geneve),
     * where libpcap loads them (and #0; jeq #0) and a frame cut short there is rejected.
     */
    private static Gen addr6(int off, byte[] addr, int plen, boolean all) {
        List<Gen> words = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int bits = Math.max(0, Math.min(32, plen - 32 * w));
            if (bits == 0 && !all) continue;
            int mask = bits == 32 ? -1 : bits == 0 ? 0 : (int) ((0xffffffffL << (32 - bits)) & 0xffffffffL);
            int v = ((addr[4 * w] & 0xff) << 24) | ((addr[4 * w + 1] & 0xff) << 16) | ((addr[4 * w + 2] & 0xff) << 8) | (addr[4 * w + 3] & 0xff);
            words.add(cmpMasked(W, off + 4 * w, mask, JEQ, v & mask));
        }
        if (words.isEmpty()) return (a, t, f) -> a.ja(t);
        return and(words.toArray(new Gen[0]));
    }

    /** gencode.c gen_ehostop: the last four bytes, then the first two, of the source (6) or destination (0). */
    static Gen etherHost(String dir, int h, byte[] mac) {
        int hi = ((mac[0] & 0xff) << 8) | (mac[1] & 0xff);
        int lo = ((mac[2] & 0xff) << 24) | ((mac[3] & 0xff) << 16) | ((mac[4] & 0xff) << 8) | (mac[5] & 0xff);
        Gen src = and(cmp(W, h + 8, lo), cmp(H, h + 6, hi));
        Gen dst = and(cmp(W, h + 2, lo), cmp(H, h, hi));
        return dir(dir, src, dst);
    }

    Gen protoNum(Qual q, Token at, int n) {
        String p = q.proto();
        if (p == null) {
            if (n > 255) throw error(at, "protocol number " + n + " > 255");
            return or(o.ipProto(n), o.ip6Proto(n));
        }
        switch (p) {
            case "ip": return o.ipProto(n);
            case "ip6": return o.ip6Proto(n);
            case "ether": case "link": return o.linktype(n);
            default: throw error(q.at(), "'" + p + "' modifier applied to 'proto'");
        }
    }

    /** gencode.c gen_port/gen_portrange and the IPv6 variants; lo == hi for a single port. */
    Gen port(Qual q, Token at, int lo, int hi) {
        return port(q, at, lo, hi, null);
    }

    /** As above; {@code serviceProto} restricts a named service to tcp or udp (null: tcp, udp and sctp). */
    Gen port(Qual q, Token at, int lo, int hi, String serviceProto) {
        String p = q.proto();
        if (p != null && !p.equals("tcp") && !p.equals("udp") && !p.equals("sctp"))
            throw error(q.at(), "illegal qualifier of '" + q.type() + "'");
        if (serviceProto != null && p != null && !p.equals(serviceProto))
            throw error(at, "port '" + at.text() + "' is " + serviceProto);
        if (p == null) p = serviceProto;
        int[] protos;
        if (p == null) protos = new int[] {132, 6, 17};
        else if (p.equals("tcp")) protos = new int[] {6};
        else if (p.equals("udp")) protos = new int[] {17};
        else protos = new int[] {132};
        int nl = o.offNl;
        String dir = q.dir();
        Gen link4 = o.linktype(ETHERTYPE_IP), link6 = o.linktype(ETHERTYPE_IPV6), first = o.ipFirstFragment();
        Gen[] v4 = new Gen[protos.length], v6 = new Gen[protos.length];
        for (int i = 0; i < protos.length; i++) {
            v4[i] = cmp(B, nl + 9, protos[i]);
            v6[i] = cmp(B, nl + 6, protos[i]);
        }
        java.util.function.Function<int[], Gen> build = vals -> {
            Gen ports4 = dir(dir, portTest(true, nl, 0, vals, hi), portTest(true, nl, 2, vals, hi));
            Gen ports6 = dir(dir, portTest(false, nl, 0, vals, hi), portTest(false, nl, 2, vals, hi));
            return or(and(link6, or(v6), ports6), and(link4, or(v4), first, ports4));
        };
        if (lo != hi || "and".equals(dir)) return build.apply(new int[] {lo});
        return new ListTest("port/" + p + "/" + dir + "/" + nl + "/" + o.offLinkType, build, lo);
    }
}
