package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Verdicts of filter expressions on hand-built frames, as pcap-filter(7) documents them and
 * libpcap implements them (FilterTcpdumpTest checks the same against tcpdump itself).
 */
class FilterCompilerTest {
    static final Map<String, byte[]> F = Frames.corpus();

    /** The names of the corpus frames (untruncated) the expression accepts. */
    static Set<String> matches(String expr) {
        BpfProgram p = FilterCompiler.compile(expr);
        BpfFilter jit = p.filter(), in = p.interpreter();
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, byte[]> e : F.entrySet()) {
            boolean a = in.matches(e.getValue()), b = jit.matches(e.getValue());
            assertEquals(a, b, "interpreter vs JIT for " + expr + " on " + e.getKey());
            if (a) out.add(e.getKey());
        }
        return out;
    }

    static void assertMatches(String expr, String... names) {
        assertEquals(new TreeSet<>(Arrays.asList(names)), matches(expr), expr);
    }

    static boolean match(String expr, byte[] frame, int caplen) {
        return FilterCompiler.compile(expr).filter().filter(frame, 0, caplen, frame.length) != 0;
    }

    @Test void protocols() {
        assertMatches("arp", "arp-request", "arp-reply");
        assertMatches("rarp", "rarp");
        assertMatches("icmp", "v4-icmp-echo", "v4-icmp-reply", "v4-icmp-unreach");
        // IPv6: the fixed next header, or a fragment header then the protocol; hop-by-hop is not walked
        assertMatches("icmp6", "v6-icmp6-echo", "v6-icmp6-ns");
        assertMatches("ip6 and udp", "v6-udp-53", "v6-frag-udp");
        assertMatches("ip6 and tcp", "v6-tcp-80", "v6-tcp-ack", "v6-frag-tcp-later");
        assertMatches("sctp", "v4-sctp", "v6-sctp");
        assertMatches("igmp", "v4-igmp");
        assertFalse(matches("ip").contains("vlan100-v4-tcp"), "without 'vlan', tagged frames are not IP");
    }

    @Test void ports() {
        // port matches TCP, UDP and SCTP over IPv4 and IPv6; IPv4 only on first fragments
        assertMatches("port 80", "v4-tcp-syn-80", "v4-tcp-synack", "v4-sctp", "v4-frag-first", "v6-tcp-80", "v6-tcp-ack", "v6-sctp");
        assertFalse(matches("port 80").contains("v4-frag-middle"), "middle fragment has no ports");
        assertFalse(matches("port 80").contains("v4-frag-last-tcp"));
        assertFalse(matches("port 80").contains("v6-hbh-tcp"), "libpcap does not walk the hop-by-hop header");
        assertMatches("tcp dst port 80", "v4-tcp-syn-80", "v6-tcp-80");
        assertMatches("udp port 53", "v4-udp-53", "v6-udp-53");
        assertMatches("src port 443 or src port 22", "v4-tcp-fin-443", "v4-tcp-rst-22");
        assertMatches("port 443 or 22", "v4-tcp-fin-443", "v4-tcp-rst-22");
        assertMatches("portrange 8000-8100", "v4-tcp-push-opts");
        assertTrue(matches("portrange 1-1024").containsAll(Set.of("v4-tcp-syn-80", "v4-udp-53", "v6-udp-53", "v4-udp-bcast")));
        assertMatches("port 8080", "v4-tcp-push-opts"); // IPv4 header with options: ldxb finds the ports
    }

    @Test void hostsAndNets() {
        assertMatches("host 10.0.0.2 and arp", "arp-request", "arp-reply");
        assertMatches("src host 1.2.3.4", "v4-tcp-fin-443");
        assertMatches("dst host 1.2.3.4", "v4-tcp-rst-22", "rarp");
        assertMatches("host 1.2.3.4", "v4-tcp-fin-443", "v4-tcp-rst-22", "rarp");
        assertMatches("ip host 1.2.3.4", "v4-tcp-fin-443", "v4-tcp-rst-22");
        assertMatches("net 192.168.0.0/16", "v4-tcp-fin-443", "v4-tcp-rst-22");
        assertEquals(matches("net 192.168.0.0/16"), matches("net 192.168.0.0 mask 255.255.0.0"));
        assertEquals(matches("net 192.168"), matches("net 192.168.0.0/16"));
        assertMatches("dst net 224.0.0.0/4", "v4-udp-mcast", "v4-igmp");
        assertMatches("host 2001:db8::1", "v6-tcp-80", "v6-hbh-tcp", "v6-frag-udp", "v6-frag-tcp-later", "v6-sctp");
        assertMatches("src net 2001:db8:1::/48");
        assertMatches("src net fe80::/10", "v6-udp-53", "v6-icmp6-echo", "v6-icmp6-ns", "v6-hbh-icmp6");
        assertMatches("dst net 2001:db8:1::/48", "v6-udp-53", "v6-tcp-ack");
        assertMatches("ether src 02:00:00:00:00:0b", "arp-reply", "v4-tcp-synack", "v4-icmp-reply", "v4-icmp-unreach", "v6-tcp-ack");
        assertMatches("ether host 02-00-00-00-00-0b and arp", "arp-reply");
        assertMatches("ether broadcast", "arp-request", "rarp", "v4-udp-bcast", "vlan-arp");
        assertEquals(matches("ether broadcast"), matches("broadcast"));
        assertMatches("ip broadcast", "v4-udp-bcast");
        // libpcap tests the first destination byte >= 224 (gencode.c gen_multicast): 255.255.255.255 too
        assertMatches("ip multicast", "v4-udp-mcast", "v4-igmp", "v4-udp-bcast");
        assertMatches("ip6 multicast", "v6-icmp6-ns", "v6-hbh-icmp6");
        assertTrue(matches("multicast").containsAll(Set.of("arp-request", "v4-udp-mcast", "v6-icmp6-ns", "llc-stp")));
    }

    @Test void vlanShiftsOffsets() {
        assertMatches("vlan", "vlan100-v4-tcp", "vlan5-v6-udp", "qinq-v4-udp", "vlan-arp");
        assertMatches("vlan 100", "vlan100-v4-tcp", "vlan-arp");
        assertMatches("vlan 5", "vlan5-v6-udp"); // TCI 0x2005: priority bits are masked off
        assertMatches("vlan and tcp port 80", "vlan100-v4-tcp");
        assertMatches("vlan and ip6 and udp port 53", "vlan5-v6-udp");
        assertMatches("vlan and vlan 5 and udp port 53", "qinq-v4-udp");
        assertMatches("vlan and arp", "vlan-arp");
        assertMatches("vlan and host 10.0.0.2", "vlan100-v4-tcp", "vlan-arp");
    }

    @Test void lengthsAndOffsets() {
        byte[] syn = F.get("v4-tcp-syn-80");
        assertEquals(54, syn.length);
        assertTrue(match("less 54", syn, 54));
        assertFalse(match("less 53", syn, 54));
        assertTrue(match("greater 54", syn, 54));
        assertFalse(match("greater 55", syn, 54));
        assertTrue(match("len = 54", syn, 54));
        assertTrue(match("len = 54", syn, 20), "len is the wire length, not the captured length");
        assertMatches("tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "v4-tcp-syn-80", "v4-tcp-synack", "v4-tcp-fin-443");
        assertMatches("tcp[tcpflags] & (tcp-syn|tcp-ack) = (tcp-syn|tcp-ack)", "v4-tcp-synack");
        assertMatches("tcp[13] = 4", "v4-tcp-rst-22");
        assertMatches("icmp[icmptype] = icmp-echo", "v4-icmp-echo");
        assertMatches("icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply", "v4-icmp-unreach");
        assertMatches("icmp6[icmp6type] = icmp6-neighborsolicit", "v6-icmp6-ns");
        assertMatches("ip[8] < 64", "v4-tcp-push-opts");
        assertMatches("ip[0] & 0xf != 5", "v4-tcp-push-opts");
        assertMatches("ip[6:2] & 0x1fff != 0", "v4-frag-middle", "v4-frag-last-tcp");
        assertMatches("ip[2:2] > 576", "v4-tcp-push-opts", "jumbo-v4-tcp");
        assertMatches("ether[12:2] = 0x88cc", "ether-unknown");
        assertMatches("ether proto 0x88cc", "ether-unknown");
        assertMatches("ether proto 0x42", "llc-stp"); // <= 1500: an 802.3 length, then the DSAP
        assertMatches("udp[8] = 24 and udp[2:2] = 53 and ip", "v4-udp-53");
    }

    @Test void precedenceAndQualifiers() {
        // and/or have equal precedence, left-associative
        assertEquals(matches("(arp or icmp) and ip"), matches("arp or icmp and ip"));
        assertMatches("arp or icmp and ip", "v4-icmp-echo", "v4-icmp-reply", "v4-icmp-unreach");
        assertEquals(matches("not arp and not ip and not ip6"), matches("! arp && ! ip && ! ip6"));
        assertEquals(matches("host 10.0.0.1 and (10.0.0.2 or 8.8.8.8)"), matches("host 10.0.0.1 and (host 10.0.0.2 or host 8.8.8.8)"));
        assertEquals(matches("tcp port 80 or 443"), matches("tcp port 80 or tcp port 443"));
        assertEquals(matches("port 80 and not 443"), matches("port 80 and not port 443"));
        // '%' and '^' have no precedence in libpcap's grammar: they take everything to their right
        assertEquals(matches("ip[0] % 3 + 1 = 1"), matches("ip[0] % 4 = 1"));
        assertEquals(matches("ip[8] * 2 + 1 > 100"), matches("(ip[8] * 2) + 1 > 100"));
        assertEquals(matches("ip[0] - 1 - 1 = 67"), matches("ip[0] = 69"));
    }

    @Test void truncatedPacketsRejectOnOutOfBoundsLoad() {
        byte[] syn = F.get("v4-tcp-syn-80");
        assertTrue(match("tcp[13] = 2", syn, syn.length));
        assertFalse(match("tcp[13] = 2", syn, 40), "the flags byte is past caplen");
        assertFalse(match("not tcp[13] = 2", syn, 40), "an out-of-bounds load rejects even under 'not'");
        assertFalse(match("not ip", syn, 10), "even 'not ip' rejects a frame too short for the ethertype");
        assertTrue(match("ether[0] = 2 or tcp[100] = 1", syn, syn.length), "short-circuit before the bad load");
        assertFalse(match("tcp[100] = 1 or ether[0] = 2", syn, syn.length), "the bad load comes first");
    }

    @Test void everythingAndSnaplen() {
        BpfProgram all = FilterCompiler.compile("");
        assertEquals(1, all.length());
        assertEquals(FilterCompiler.DEFAULT_SNAPLEN, all.filter().filter(new byte[0]));
        BpfProgram p = FilterCompiler.compile("ip", 96, 0, true);
        assertEquals(96, p.filter().filter(F.get("v4-udp-53")));
        assertEquals(0, p.filter().filter(F.get("arp-request")));
        // unoptimised programs give the same verdicts on whole frames (the optimiser, like libpcap's,
        // may drop loads whose value does not matter, which can change the verdict on truncated ones)
        for (String e : new String[] {"tcp port 80 or udp", "vlan and host 10.0.0.2", "ip[0] % 3 + 1 = 1", "not ip6",
                "host 10.0.0.1 or 1.2.3.4 and not port 80 or 443", "not (icmp6 and src host 1.2.3.4)"}) {
            BpfFilter a = FilterCompiler.compile(e, 1, 0, true).filter(), b = FilterCompiler.compile(e, 1, 0, false).filter();
            for (byte[] f : F.values()) if (f.length >= 42) assertEquals(a.filter(f), b.filter(f), e);
        }
    }

    @Test void printsLikeTcpdump() {
        assertEquals(String.join("\n",
                "(000) ldh      [12]",
                "(001) jeq      #0x806           jt 2\tjf 3",
                "(002) ret      #262144",
                "(003) ret      #0", ""), FilterCompiler.compile("arp").toDump());
        assertEquals(String.join("\n",
                "(000) ldh      [12]",
                "(001) jeq      #0x800           jt 2\tjf 5",
                "(002) ldb      [23]",
                "(003) jeq      #0x6             jt 4\tjf 5",
                "(004) ret      #262144",
                "(005) ret      #0", ""), FilterCompiler.compile("ip and tcp").toDump());
    }

    @Test void anExpressionThatCompilesBeyondBpfsLimitIsRefusedAsTooComplex() {
        // found by FilterCompilerFuzzTarget: twelve protochain loops compile to ~4,600 instructions,
        // which the kernel (BPF_MAXINSNS), our validator and our JIT all refuse
        StringBuilder e = new StringBuilder("protochain 58");
        for (int p : new int[] {57, 208, 7, 1, 636 & 0xff, 207, 201, 6, 15, 0, 2}) {
            e.append(" and not ").append(p);
        }
        FilterSyntaxException x = err(e.toString());
        assertTrue(x.getMessage().startsWith("error at column 1: expression too complex: it compiles to "), x.getMessage());
        assertTrue(x.getMessage().endsWith("instructions, more than BPF's 4096"), x.getMessage());
        // a few of them are fine
        assertTrue(FilterCompiler.compile("protochain 58 and not 57").instructions().length <= Bpf.MAXINSNS);
    }

    static FilterSyntaxException err(String expr) {
        return assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile(expr), expr);
    }

    @Test void syntaxErrorsNameTokenAndColumn() {
        FilterSyntaxException e = err("arp and tcp or foo");
        assertEquals("syntax error at column 16: unexpected 'foo'", e.getMessage());
        assertEquals(16, e.column());
        assertEquals("foo", e.token());
        // a bare word repeats the previous qualifiers, as in libpcap: here it must be a port
        assertEquals("error at column 17: unknown port 'foo'", err("tcp port 80 and foo").getMessage());
        assertEquals("syntax error at column 16: unexpected end of expression", err("tcp port 80 and").getMessage());
        assertEquals("syntax error at column 1: unexpected '10.0.0.1'", err("10.0.0.1").getMessage());
        assertEquals("error at column 6: data size must be 1, 2, or 4", err("ip[2:3] = 1").getMessage());
        assertEquals("error at column 5: non-network bits set in \"10.1.2.3\"", err("net 10.1.2.3/8").getMessage());
        assertEquals("error at column 1: illegal qualifier of 'port'", err("ip6 src port 80").getMessage());
        assertEquals("error at column 6: illegal port number 70000 > 65535", err("port 70000").getMessage());
        assertTrue(err("host example.com").getMessage().contains("unknown host 'example.com'"));
        assertTrue(err("(tcp").getMessage().contains("expected ')'"));
        assertTrue(err("tcp)").getMessage().startsWith("syntax error at column 4: unexpected ')'"));
        assertTrue(err("ip[0] / 0 = 1").getMessage().contains("division by zero"));
        assertTrue(err("tcp and vlan").getMessage().contains("expression rejects all packets"));
        assertTrue(err("ip $ 1").getMessage().contains("unexpected character '$'"));
        assertTrue(err("gateway 1.2.3.4").getMessage().contains("not supported"));
        assertTrue(err("ip proto tcp").getMessage().startsWith("syntax error"));
    }

    /**
     * Jump threading per edge (libpcap's opt_j): the second test of the next header after the
     * fragment-header branch is decided on that edge, so the load of the fragment's next header
     * is dead and a short frame with a fragment header is accepted, as by tcpdump's program
     * (found by FilterVerdictIT).
     */
    @Test void edgeThreadingDropsIrrelevantLoad() {
        String expr = "ip6 proto 17 or ip6 proto 44";
        BpfProgram p = FilterCompiler.compile(expr);
        assertEquals(BpfProgram.parse("""
                { 0x28, 0, 0, 0x0000000c },
                { 0x15, 0, 4, 0x000086dd },
                { 0x30, 0, 0, 0x00000014 },
                { 0x15, 1, 0, 0x00000011 },
                { 0x15, 0, 1, 0x0000002c },
                { 0x6, 0, 0, 0x00040000 },
                { 0x6, 0, 0, 0x00000000 },
                """), p, p.toDump());
        byte[] f = new byte[43];
        f[12] = (byte) 0x86;
        f[13] = (byte) 0xdd;
        f[14] = 0x60;
        f[20] = 44;
        assertTrue(match(expr, f, f.length));
    }

    @Test void mplsMovesOffsetsAndChecksTheStack() {
        assertMatches("mpls", "mpls100-v4-tcp", "mpls16-1024-v6-udp", "mpls-no-bos-v4");
        assertMatches("mpls 100", "mpls100-v4-tcp", "mpls-no-bos-v4");
        // after a label, "ip"/"ip6" test its bottom-of-stack bit and the version nibble (RFC 3032 §2.1)
        assertMatches("mpls and ip", "mpls100-v4-tcp");
        assertMatches("mpls 100 and tcp port 80", "mpls100-v4-tcp");
        assertMatches("mpls and ip6", new String[0]);
        // a second "mpls": the outer label's bottom-of-stack bit is clear
        assertMatches("mpls and mpls", "mpls16-1024-v6-udp", "mpls-no-bos-v4");
        assertMatches("mpls 16 and mpls 1024 and ip6 and udp port 53", "mpls16-1024-v6-udp");
        assertMatches("mpls 16 and mpls 1025", new String[0]);
        assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile("mpls 1048576"));
    }

    @Test void pppoeSessionIsPppAfterTheHeader() {
        assertMatches("pppoed", "pppoed-padi");
        assertMatches("pppoes", "pppoes7-v4-udp", "pppoes27-v6-tcp", "pppoes7-lcp", "pppoes7-mpls-v4");
        assertMatches("pppoes 7", "pppoes7-v4-udp", "pppoes7-lcp", "pppoes7-mpls-v4");
        // PPP protocol 0x0021 is IPv4, 0x0057 IPv6, 0x0281 MPLS (RFC 1332, RFC 5072, RFC 3032 §4.3)
        assertMatches("pppoes and ip", "pppoes7-v4-udp");
        assertMatches("pppoes 0x27 and ip6 and tcp port 80", "pppoes27-v6-tcp");
        assertMatches("pppoes 7 and udp port 53 and dst host 10.0.0.2", "pppoes7-v4-udp");
        assertMatches("pppoes and mpls 100 and ip and icmp", "pppoes7-mpls-v4");
        assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile("pppoes 65536"));
    }

    @Test void inboundOutboundReadThePacketTypeTheTapSupplies() {
        byte[] f = F.get("v4-tcp-syn-80");
        for (String expr : new String[] {"inbound", "outbound and tcp"}) {
            BpfProgram p = FilterCompiler.compile(expr);
            boolean outbound = expr.startsWith("out");
            for (BpfFilter m : new BpfFilter[] {p.filter(), p.interpreter()}) {
                assertEquals(outbound, m.filter(f, 0, f.length, f.length, Bpf.PACKET_OUTGOING) != 0);
                assertEquals(!outbound, m.filter(f, 0, f.length, f.length, Bpf.PACKET_HOST) != 0);
                assertEquals(!outbound, m.filter(f, 0, f.length, f.length, Bpf.PACKET_BROADCAST) != 0);
                // no packet type (a file): the ancillary load fails, as in libpcap's bpf_filter()
                assertEquals(0, m.filter(f, 0, f.length, f.length, Bpf.NO_PKTTYPE));
                assertEquals(0, m.filter(f));
            }
        }
        // libpcap's code: ldh [SKF_AD_OFF + SKF_AD_PKTTYPE]; jeq #PACKET_OUTGOING
        assertTrue(FilterCompiler.compile("outbound").toDump().contains("ldh      [type]"), FilterCompiler.compile("outbound").toDump());
    }

    @Test void namesThatNeedAServiceOrAnotherLinkTypeAreRefusedWithAColumn() {
        FilterSyntaxException e = assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile("tcp and gateway snup"));
        assertEquals(9, e.column(), e.getMessage());
        assertTrue(e.getMessage().contains("'gateway' not supported"), e.getMessage());
        e = assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile("ip and ifname eth0"));
        assertTrue(e.getMessage().contains("ifname supported only on PF linktype"), e.getMessage());
        assertEquals(8, e.column());
        e = assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile("on eth0"));
        assertTrue(e.getMessage().contains("PF linktype"), e.getMessage());
        e = assertThrows(FilterSyntaxException.class, () -> FilterCompiler.compile("mpls and arp"));
        assertTrue(e.getMessage().contains("unsupported protocol over mpls"), e.getMessage());
    }

    /** The names of the chain frames (Frames.chains) the expression accepts, interpreter and JIT alike. */
    static Set<String> chainMatches(String expr) { return matchesIn(Frames.chains(), expr); }

    /** The names of these frames the expression accepts, interpreter and JIT alike. */
    static Set<String> matchesIn(Map<String, byte[]> frames, String expr) {
        BpfProgram p = FilterCompiler.compile(expr);
        BpfFilter jit = p.filter(), in = p.interpreter();
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, byte[]> e : frames.entrySet()) {
            boolean a = in.matches(e.getValue()), b = jit.matches(e.getValue());
            assertEquals(a, b, "interpreter vs JIT for " + expr + " on " + e.getKey());
            if (a) out.add(e.getKey());
        }
        return out;
    }

    static Set<String> names(String... n) { return new TreeSet<>(Arrays.asList(n)); }

    /**
     * protochain walks IPv6 extension headers and AH (gencode.c gen_protochain), unlike "proto"; the
     * walk's verdicts are libpcap's, including its AH step that sets the offset instead of adding
     * to it (v4-ah-ah-udp: libpcap reads the second next header inside the first AH and rejects).
     * FilterTcpdumpTest checks the same frames against tcpdump reading them from a file.
     */
    @Test void protochainWalksTheHeaderChain() {
        Set<String> dst = new TreeSet<>();
        for (int n = 1; n <= FilterCompiler.PROTOCHAIN_MAX_HEADERS; n++) dst.add("v6-" + n + "-dst-udp");
        Set<String> udp6 = new TreeSet<>(dst);
        udp6.add("v6-frag-dst-udp");
        assertEquals(udp6, chainMatches("ip6 protochain 17"));
        assertEquals(names(), chainMatches("ip6 proto 17"));
        assertEquals(names("v6-hbh-dst-rt-tcp", "v6-ah-tcp", "v6-hbh-ah-tcp"), chainMatches("ip6 protochain 6"));
        assertEquals(names("v4-ah-tcp"), chainMatches("ip protochain 6"));
        assertEquals(names("v4-opts-ah-icmp"), chainMatches("ip protochain 1"));
        assertEquals(names("v4-ah-tcp", "v6-hbh-dst-rt-tcp", "v6-ah-tcp", "v6-hbh-ah-tcp"), chainMatches("protochain 6"));
        assertEquals(names(), chainMatches("ip protochain 17")); // libpcap's AH step misplaces the second AH
        // the header itself matches: AH, a destination-options header, "no next header"
        assertEquals(names("v4-ah-tcp", "v4-ah-ah-udp", "v4-opts-ah-icmp", "v6-ah-tcp", "v6-hbh-ah-tcp"), chainMatches("protochain 51"));
        assertTrue(chainMatches("ip6 protochain 60").containsAll(dst));
        assertEquals(names("v6-dst-none"), chainMatches("ip6 protochain 59"));
        assertEquals(chainMatches("protochain 6"), chainMatches("protochain \\tcp"));
        assertEquals(udp6, chainMatches("ip6 protochain 17 or 300"));
        // on the ordinary corpus, "protochain" is "proto" plus the chains: hop-by-hop before TCP
        Set<String> tcp = matches("tcp");
        tcp.add("v6-hbh-tcp");
        tcp.removeIf(n -> n.startsWith("pppoes")); // "tcp" alone does not look inside PPPoE either
        assertEquals(tcp, matches("protochain 6"));
    }

    /** The walk is bounded: a chain longer than PROTOCHAIN_MAX_HEADERS, or a loop of AH headers, is rejected. */
    @Test void protochainWalkIsBounded() {
        int max = FilterCompiler.PROTOCHAIN_MAX_HEADERS;
        Set<String> m = chainMatches("ip6 protochain 17");
        assertTrue(m.contains("v6-" + max + "-dst-udp") && !m.contains("v6-" + (max + 1) + "-dst-udp"), m.toString());
        // IPv4 AH at offset 20 naming AH with length 3: libpcap computes X = (3 + 2) * 4 = 20 again and
        // loops for ever in bpf_filter(); ours gives up after the bound
        byte[] loop = Frames.eth(Frames.MAC_B, Frames.MAC_A, 0x800, Frames.ipv4("10.0.0.1", "10.0.0.2", 51, Frames.ah(51, 3, new byte[8])));
        assertFalse(match("ip protochain 6", loop, loop.length));
        assertTrue(match("ip protochain 51", loop, loop.length));
        // a cut frame: the load of the next extension header fails and rejects, as in libpcap
        byte[] f = Frames.chains().get("v6-hbh-dst-rt-tcp");
        assertTrue(match("ip6 protochain 6", f, f.length));
        assertFalse(match("ip6 protochain 6", f, 14 + 40 + 16));
        assertTrue(FilterCompiler.compile("protochain 6").length() < Bpf.MAXINSNS / 4);
    }

    @Test void protochainErrorsAreLibpcaps() {
        assertTrue(err("tcp protochain 6").getMessage().contains("bad protocol applied for 'protochain'"));
        assertTrue(err("ether protochain 6").getMessage().contains("bad protocol applied for 'protochain'"));
        assertTrue(err("src protochain 6").getMessage().startsWith("syntax error"));
        assertTrue(err("protochain tcp").getMessage().startsWith("syntax error"));
        assertTrue(err("protochain").getMessage().startsWith("syntax error"));
        assertTrue(err("protochain \\foo").getMessage().contains("unknown ip proto 'foo'"));
        // libpcap compiles protochain without its optimiser, so it never proves "rejects all packets"
        assertEquals(0, FilterCompiler.compile("tcp and vlan and protochain 6").filter().filter(Frames.corpus().get("vlan100-v4-tcp")));
    }

    static Set<String> geneveMatches(String expr) { return matchesIn(Frames.geneveFrames(), expr); }

    @Test void geneveFindsUdp6081VersionZeroAndTheVni() {
        Set<String> all = new TreeSet<>(Set.of("gnv-v4-42-tcp80", "gnv-v4-42-opts2-v6udp", "gnv-v4opts-7-opts1-tcp80",
                "gnv-v6-42-opts1-tcp80", "gnv-v6-0-v6udp", "gnv-v4-42-rawip-tcp80", "gnv-v4-42-opts63", "gnv-v4-in-gnv"));
        // no outer VLAN without "vlan", not version 1 (RFC 8926 §3.4), not from port 6081, not a later fragment
        assertEquals(all, geneveMatches("geneve"));
        assertEquals(Set.of("gnv-v4-42-tcp80", "gnv-v4-42-opts2-v6udp", "gnv-v6-42-opts1-tcp80", "gnv-v4-42-rawip-tcp80", "gnv-v4-42-opts63"),
                geneveMatches("geneve 42"));
        assertEquals(Set.of("gnv-vlan-v4-7-arp"), geneveMatches("vlan and geneve 7"));
        assertTrue(matches("geneve").isEmpty(), "no frame of the ordinary corpus is Geneve");
    }

    @Test void primitivesAfterGeneveLookAtTheInnerFrameWhateverTheOptionLength() {
        // inner Ethernet after 0, 1 and 63 words of options, over IPv4 (with IP options) and IPv6, and
        // bare IPv4 (protocol type 0x0800): the network layer starts right after the Geneve header
        assertEquals(Set.of("gnv-v4-42-tcp80", "gnv-v4opts-7-opts1-tcp80", "gnv-v6-42-opts1-tcp80", "gnv-v4-42-opts63",
                "gnv-v4-42-rawip-tcp80"), geneveMatches("geneve and tcp port 80"));
        assertEquals(Set.of("gnv-v4-42-tcp80", "gnv-v6-42-opts1-tcp80", "gnv-v4-42-opts63", "gnv-v4-42-rawip-tcp80"),
                geneveMatches("geneve 42 and ip host 10.1.1.1 and tcp[13] = 2"));
        assertEquals(Set.of("gnv-v4-42-opts2-v6udp", "gnv-v6-0-v6udp"), geneveMatches("geneve and ip6 and udp port 53"));
        assertEquals(Set.of("gnv-vlan-v4-7-arp"), geneveMatches("vlan and geneve and arp and host 10.1.1.9"));
        // 63 words of options: cut before the inner frame's end, the inner loads fail
        byte[] opts63 = Frames.geneveFrames().get("gnv-v4-42-opts63");
        assertTrue(match("geneve and tcp", opts63, opts63.length));
        assertFalse(match("geneve and tcp", opts63, 14 + 20 + 8 + 8 + 252 + 14 + 9));
        // tests of an Ethernet header first check that there is one (not so for a bare IP payload)
        assertTrue(geneveMatches("geneve and ip host 10.1.1.2").contains("gnv-v4-42-rawip-tcp80"));
        // (its first byte, 0x45, would look like a multicast destination)
        assertFalse(geneveMatches("geneve and ether multicast").contains("gnv-v4-42-rawip-tcp80"));
        assertTrue(geneveMatches("geneve and not ether multicast").contains("gnv-v4-42-rawip-tcp80"));
        // the outer headers no longer count after geneve: the outer source is not an inner host
        assertTrue(geneveMatches("geneve and host 192.0.2.1").isEmpty());
        assertEquals(Set.of("gnv-v4-in-gnv"), geneveMatches("geneve 5 and geneve 42 and tcp port 80"));
    }

    @Test void genevePrograms() {
        byte[] f = Frames.geneveFrames().get("gnv-v4-42-tcp80");
        // truncated inside the inner frame: the inner loads fail and the packet is rejected
        assertTrue(match("geneve and tcp port 80", f, f.length));
        assertFalse(match("geneve and tcp port 80", f, 14 + 20 + 8 + 8 + 14 + 20 + 3));
        assertFalse(match("not (geneve and tcp port 80)", f, 14 + 20 + 8 + 8 + 14 + 20 + 3));
        // programs without geneve do not change (constant offsets, optimised)
        assertFalse(FilterCompiler.compile("tcp port 80").toDump().contains("M["));
        assertTrue(FilterCompiler.compile("geneve and ip").toDump().contains("ldx      M["));
        assertEquals("error at column 1: Geneve VNI 16777216 greater than maximum 16777215", err("geneve 16777216").getMessage());
        assertEquals("error at column 12: 'protochain' not supported with variable length headers", err("geneve and protochain 6").getMessage());
        // arithmetic keeps its scratch words below geneve's registers
        // (as libpcap: 11 nested sums compile after geneve, 12 need too many registers; 14 without geneve compile)
        String deep = "ip[0]";
        for (int i = 0; i < 11; i++) deep = "ip[" + i + "] + (" + deep + ")";
        assertNotNull(FilterCompiler.compile("geneve and " + deep + " > 0"));
        deep = "ip[11] + (" + deep + ")";
        assertTrue(err("geneve and " + deep + " > 0").getMessage().contains("too many registers"));
        deep = "ip[13] + (ip[12] + (" + deep + "))";
        assertNotNull(FilterCompiler.compile(deep + " > 0"));
    }
}
