package io.tapstack.it;

import java.util.Random;

/**
 * Random pcap-filter(7) expressions from a typed grammar, for the differential test against
 * libpcap ({@link FilterVerdictIT#randomExpressionsAgreeWithLibpcap}):
 * <pre>
 *   expr  := bool | [vlan and] geneve [vni] and ( bool )
 *   bool  := prim | bool and bool | bool or bool | not bool | ( bool ) | arith relop arith
 *   prim  := [proto] [dir] type value | proto | vlan [id] | mpls [label] | pppoed | pppoes [id]
 *          | inbound | outbound | [ip|ip6] protochain n | less n | greater n | [proto] broadcast | ...
 *   arith := n | len | named constant | proto [ arith [: size] ] | arith op arith | - arith | ( arith )
 * </pre>
 * Values are drawn so that most expressions compile and most loads fall inside real frames (small
 * offsets, addresses and ports of the test traffic); the arithmetic deliberately mixes loads from
 * different protocol headers, shifts by loaded values, unary minus, division and modulo by loads,
 * and networks with short masks (including /0). The same seed gives the same expressions.
 *
 * <p>{@code geneve [vni]} (libpcap 1.10) is put in front of some expressions, {@code geneve and
 * (bool)}, decided by a second seeded stream so that the other expressions stay as they were.
 * Only in front: after a {@code geneve} that did not match, libpcap's later loads go through
 * scratch registers that nothing has written (uninitialised memory in its bpf_filter), so an
 * expression that reads them then has no defined verdict.
 */
final class FilterExpressionGenerator {
    private final Random r;

    private final Random geneveR;

    FilterExpressionGenerator(long seed) {
        this.r = new Random(seed);
        this.geneveR = new Random(seed ^ 6081);
    }

    private <T> T pick(T[] a) {
        return a[r.nextInt(a.length)];
    }

    private boolean chance(int percent) {
        return r.nextInt(100) < percent;
    }

    /** One boolean expression. */
    String next() {
        String e = bool(0);
        if (geneveR.nextInt(100) >= 10) return e;
        String head = (geneveR.nextInt(5) == 0 ? "vlan and " : "") + "geneve"
                + (geneveR.nextBoolean() ? " " + new String[] {"0", "7", "42", "100", "16777215"}[geneveR.nextInt(5)] : "");
        return head + " and (" + e + ")";
    }

    private String bool(int depth) {
        int choice = depth >= 3 ? r.nextInt(3) : r.nextInt(9);
        switch (choice) {
            case 0: case 1: return prim();
            case 2: return relation(depth);
            case 3: return bool(depth + 1) + (chance(50) ? " and " : " && ") + bool(depth + 1);
            case 4: return bool(depth + 1) + (chance(50) ? " or " : " || ") + bool(depth + 1);
            case 5: return (chance(70) ? "not " : "!") + bool(depth + 1);
            case 6: return "(" + bool(depth + 1) + ")";
            case 7: return prim() + " and " + relation(depth + 1);
            default: return encapsulated() + " and " + bool(depth + 1);
        }
    }

    static final String[] PROTOS = {"ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp"};
    static final String[] V4 = {"10.0.0.1", "10.0.0.2", "10.200.0.1", "10.200.0.2", "192.168.1.1", "1.2.3.4", "0.0.0.0",
            "255.255.255.255", "127.0.0.1"};
    static final String[] V6 = {"2001:db8::1", "2001:db8::2", "fd00::1", "fd00::2", "fe80::1", "::1", "ff02::1"};
    static final String[] NETS = {"10.0.0.0/8", "10.200.0.0/16", "10.0.0.0/24", "0.0.0.0/0", "192.168.0.0/16",
            "10.200.0.0/30", "128.0.0.0/1", "10/8", "10.200", "10", "192.168", "0.0.0.0/0", "172.16.0.0/12",
            "10.200.0.0 mask 255.255.0.0", "0.0.0.0 mask 0.0.0.0", "2001:db8::/32", "fd00::/8", "::/0", "fe80::/10",
            "2001:db8::/64", "ff00::/8"};
    static final String[] PORTS = {"80", "443", "53", "7", "9", "22", "8080", "0", "65535", "5201"};
    static final String[] MACS = {"02:00:00:00:00:0a", "02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff", "33:33:00:00:00:01",
            "01:00:5e:00:00:01"};

    private String dir() {
        switch (r.nextInt(7)) {
            case 0: return "src ";
            case 1: return "dst ";
            case 2: return "src or dst ";
            case 3: return "src and dst ";
            default: return "";
        }
    }

    String prim() {
        switch (r.nextInt(17)) {
            case 16: return pick(new String[] {"", "", "ip ", "ip6 "}) + "protochain "
                    + pick(new String[] {"6", "17", "58", "51", "44", "0", "60", "59", "1", "50", "\\tcp", "\\udp", "300"})
                    + (chance(15) ? " or " + pick(new String[] {"6", "17", "58"}) : "");
            case 0: return pick(PROTOS);
            case 1: return (chance(30) ? pick(new String[] {"ip ", "arp ", "rarp "}) : "") + dir() + "host " + pick(V4);
            case 2: return (chance(30) ? "ip6 " : "") + dir() + "host " + pick(V6);
            case 3: {
                String n = pick(NETS);
                boolean six = n.contains(":");
                return (chance(30) ? (six ? "ip6 " : pick(new String[] {"ip ", "arp "})) : "") + dir() + "net " + n;
            }
            case 4: return (chance(40) ? pick(new String[] {"tcp ", "udp ", "sctp "}) : "") + dir() + "port " + pick(PORTS)
                    + (chance(25) ? " or " + pick(PORTS) : "");
            case 5: {
                int lo = r.nextInt(1000), hi = lo + r.nextInt(9000);
                return (chance(40) ? pick(new String[] {"tcp ", "udp "}) : "") + dir() + "portrange " + lo + "-" + hi;
            }
            case 6: return pick(new String[] {"ip ", "ip6 ", ""}) + "proto " + pick(new String[] {"6", "17", "1", "58", "132", "44", "0", "\\tcp", "\\udp", "\\icmp"});
            case 7: return "ether " + dir() + "host " + pick(MACS);
            case 8: return "ether proto " + pick(new String[] {"0x800", "0x86dd", "0x806", "0x8035", "0x8100", "0x88cc", "\\ip", "\\arp", "\\ip6"});
            case 9: return pick(new String[] {"less ", "greater "}) + pick(new String[] {"0", "42", "60", "64", "100", "1500", "1514"});
            case 10: return pick(new String[] {"broadcast", "multicast", "ether broadcast", "ether multicast", "ip multicast",
                    "ip6 multicast", "ip broadcast"});
            case 11: return pick(new String[] {"inbound", "outbound"});
            case 12: return pick(new String[] {"vlan", "vlan 100", "vlan 5", "mpls", "mpls 100", "pppoed", "pppoes", "pppoes 7"});
            case 13: return pick(new String[] {"icmp[icmptype] = icmp-echo", "icmp[icmptype] == icmp-echoreply",
                    "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0", "tcp[tcpflags] & tcp-syn != 0", "icmp6[icmp6type] = icmp6-echo",
                    "icmp6[icmp6type] = icmp6-neighborsolicit"});
            case 14: return pick(new String[] {"ip[6:2] & 0x1fff = 0", "ip6[6] = 44", "ip[0] & 0xf > 5", "ether[0] & 1 != 0",
                    "ip[9] = 17", "arp[7] = 1"});
            default: return pick(PROTOS) + " " + pick(new String[] {"src ", "dst ", ""}) + "port " + pick(PORTS);
        }
    }

    /** An offset-changing primitive followed by what it encapsulates. */
    private String encapsulated() {
        switch (r.nextInt(5)) {
            case 0: return "vlan" + (chance(50) ? " " + pick(new String[] {"100", "5", "0", "4095"}) : "");
            case 1: return "mpls" + (chance(50) ? " " + pick(new String[] {"100", "0", "1048575", "16"}) : "")
                    + (chance(30) ? " and mpls" : "");
            case 2: return "pppoes" + (chance(50) ? " " + pick(new String[] {"7", "0", "65535"}) : "");
            case 3: return "vlan and vlan";
            default: return "pppoed";
        }
    }

    private String relation(int depth) {
        String op = pick(new String[] {"=", "==", "!=", "<", "<=", ">", ">="});
        return arith(depth) + " " + op + " " + arith(depth);
    }

    static final String[] LOAD_PROTOS = {"ether", "link", "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp"};

    String arith(int depth) {
        int choice = depth >= 3 ? r.nextInt(3) : r.nextInt(10);
        switch (choice) {
            case 0: return number();
            case 1: case 2: return load(depth);
            case 3: return "len";
            case 4: case 5: {
                String op = pick(new String[] {"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"});
                String right = op.equals("<<") || op.equals(">>")
                        ? (chance(50) ? String.valueOf(r.nextInt(32)) : load(depth + 1) + (chance(50) ? " & 7" : ""))
                        : (op.equals("/") || op.equals("%")) && chance(50) ? String.valueOf(1 + r.nextInt(16)) : arith(depth + 1);
                if ((op.equals("<<") || op.equals(">>")) && right.contains("&")) right = "(" + right + ")";
                return arith(depth + 1) + " " + op + " " + right;
            }
            case 6: return "-" + (chance(50) ? load(depth + 1) : arith(depth + 1));
            case 7: return "(" + arith(depth + 1) + ")";
            case 8: return pick(new String[] {"icmptype", "icmpcode", "tcpflags", "tcp-syn", "tcp-ack", "icmp-echo", "icmp6-echo"});
            default: return load(depth);
        }
    }

    private String number() {
        switch (r.nextInt(6)) {
            case 0: return String.valueOf(r.nextInt(8));
            case 1: return String.valueOf(r.nextInt(256));
            case 2: return "0x" + Integer.toHexString(r.nextInt(0x10000));
            case 3: return pick(new String[] {"4294967295", "2147483648", "65535", "1500", "0xffffffff"});
            default: return String.valueOf(r.nextInt(70));
        }
    }

    private String load(int depth) {
        String p = pick(LOAD_PROTOS);
        String idx = depth >= 2 || chance(65) ? String.valueOf(r.nextInt(p.equals("ether") || p.equals("link") ? 70 : 44))
                : arith(depth + 1);
        String size = chance(50) ? "" : ":" + pick(new String[] {"1", "2", "4"});
        return p + "[" + idx + size + "]";
    }
}
