package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Differential test against the real libpcap: every expression in
 * {@code capture/expressions.txt} is compiled by {@code tcpdump -dd -y EN10MB} and by
 * {@link FilterCompiler}; both programs run (through our interpreter, and ours also through the
 * JIT) over the frame corpus with truncations and mutations, and the verdicts must agree.
 * Also checks that our -d listing of tcpdump's own program is byte-identical to tcpdump -d.
 * Skipped when tcpdump is absent, except under CI=true where that is a failure.
 */
class FilterTcpdumpTest {
    static final Path TCPDUMP = Path.of("/usr/bin/tcpdump");

    static List<String> expressions() throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream in = FilterTcpdumpTest.class.getResourceAsStream("/capture/expressions.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) continue;
                out.add(line.strip());
            }
        }
        return out;
    }

    static void requireTcpdump() {
        boolean present = Files.isExecutable(TCPDUMP);
        if (!present && "true".equals(System.getenv("CI"))) fail("tcpdump is required under CI (apt-get install tcpdump)");
        Assumptions.assumeTrue(present, "tcpdump not installed");
    }

    /** Runs tcpdump; returns stdout, or null (with the message in err[0]) when tcpdump rejects the expression. */
    static String tcpdump(String flag, String expr, String[] err) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(TCPDUMP.toString(), flag, "-y", "EN10MB", "--", expr);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] e = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        if (p.exitValue() != 0) {
            err[0] = new String(e, StandardCharsets.UTF_8).strip();
            return null;
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test void verdictsMatchTcpdump() throws Exception {
        requireTcpdump();
        List<Frames.Packet> packets = Frames.packets(42);
        List<String> problems = new ArrayList<>();
        int compared = 0, exprs = 0;
        for (String line : expressions()) {
            boolean mustFail = line.startsWith("error:");
            String expr = mustFail ? line.substring("error:".length()).strip() : line;
            String[] err = new String[1];
            String dd = tcpdump("-dd", expr, err);
            BpfProgram mine;
            try {
                mine = FilterCompiler.compile(expr);
            } catch (FilterSyntaxException e) {
                if (dd != null) problems.add("we reject '" + expr + "' (" + e.getMessage() + ") but tcpdump accepts it");
                else if (!mustFail) problems.add("both reject '" + expr + "' but it is not marked 'error:'");
                continue;
            }
            if (dd == null) {
                problems.add("tcpdump rejects '" + expr + "' (" + err[0] + ") but we accept it");
                continue;
            }
            if (mustFail) problems.add("'" + expr + "' is marked 'error:' but both accept it");
            exprs++;
            BpfProgram ref = BpfProgram.parse(dd);
            BpfFilter refF = ref.interpreter(), mineI = mine.interpreter(), mineJ = mine.filter();
            int bad = 0;
            for (Frames.Packet pk : packets) {
                boolean want = refF.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                boolean gotI = mineI.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                boolean gotJ = mineJ.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                compared++;
                if (gotI != gotJ) problems.add("'" + expr + "': interpreter and JIT disagree on " + pk);
                if (want != gotI && bad++ < 3)
                    problems.add("'" + expr + "': tcpdump says " + want + ", we say " + gotI + " for " + pk);
            }
            if (bad > 3) problems.add("'" + expr + "': ... " + (bad - 3) + " more mismatches");
        }
        if (!problems.isEmpty()) fail(problems.size() + " problems:\n" + String.join("\n", problems));
        assertTrue(exprs >= 150, "expected at least 150 accepted expressions, got " + exprs);
        assertTrue(compared > 100_000, "compared " + compared);
    }

    /**
     * protochain: tcpdump's program loops backwards, so neither our machine nor the kernel runs it;
     * instead tcpdump reads the frames (the chain frames and the corpus, whole, cut, mutated and
     * random) from a pcap file with the filter, and the frames it prints are those ours accepts.
     * The only frames where the two may differ are chains longer than our walk's bound, which
     * libpcap keeps walking: listed by name here (FilterVerdictIT checks the same against libpcap
     * over the live and scapy corpus).
     */
    @Test void protochainVerdictsMatchTcpdumpReadingAFile() throws Exception {
        requireTcpdump();
        java.util.Map<String, byte[]> all = new java.util.LinkedHashMap<>(Frames.chains());
        all.putAll(Frames.corpus());
        List<Frames.Packet> packets = Frames.packets(7, all);
        Path file = Files.createTempFile("protochain", ".pcap");
        try {
            try (PcapWriter w = PcapWriter.create(file, 262144, TimestampResolution.MICROSECONDS)) {
                // packet i at i seconds: tcpdump -tt prints it, which names the packet ("-#" counts matches only)
                for (int i = 0; i < packets.size(); i++) {
                    Frames.Packet pk = packets.get(i);
                    w.write((i + 1) * 1_000_000_000L, java.nio.ByteBuffer.wrap(pk.bytes()), 0, pk.caplen(), pk.wirelen(), Direction.INBOUND);
                }
            }
            List<String> problems = new ArrayList<>();
            int accepted = 0;
            for (String expr : new String[] {"protochain 6", "ip protochain 6", "ip6 protochain 17", "protochain 51",
                    "ip6 protochain 60", "ip6 protochain 59", "protochain 1 or 58", "not protochain 17",
                    "vlan and protochain 17", "protochain 6 and tcp port 80", "ip protochain 17", "protochain 44"}) {
                java.util.Set<Integer> theirs = tcpdumpRead(file, expr);
                BpfFilter mine = FilterCompiler.compile(expr).filter();
                for (int i = 0; i < packets.size(); i++) {
                    Frames.Packet pk = packets.get(i);
                    boolean ours = mine.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                    if (ours) accepted++;
                    if (ours != theirs.contains(i + 1) && !longerThanTheBound(pk.name()))
                        problems.add("'" + expr + "': tcpdump " + theirs.contains(i + 1) + ", ours " + ours + " on " + pk);
                }
            }
            if (!problems.isEmpty()) fail(problems.size() + " problems:\n" + String.join("\n", problems));
            assertTrue(accepted > 500, "accepted " + accepted);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Expressions with {@code geneve}: primitives after it apply to the inner frame. */
    static final String[] GENEVE = {
            "geneve", "geneve 42", "geneve 7", "geneve 0", "geneve (42)", "not geneve", "geneve 16777215",
            "geneve and ip host 10.1.1.1", "geneve 42 and tcp port 80", "geneve and ip6", "geneve and arp",
            "geneve and udp port 53", "geneve and tcp", "geneve and host 10.1.1.9", "geneve and ip", "geneve and not ip",
            "geneve and ether host 02:00:00:00:00:0a", "geneve and ether dst 02:00:00:00:00:0b", "geneve and ether broadcast",
            "geneve and ether multicast", "geneve and net 10.1.0.0/16", "geneve and src host 2001:db8::1",
            "geneve and tcp[13] = 2", "geneve and tcp[tcpflags] & tcp-syn != 0", "geneve and ip[9] = 6", "geneve and ether[12:2] = 0x800",
            "geneve and ip[ip[0] & 3] = 0x45", "geneve and udp[2:2] = 53", "geneve and icmp6[0] = 1", "geneve and ip6[6] = 17",
            "geneve and vlan", "geneve and geneve", "geneve 5 and geneve 42 and tcp port 80", "geneve and portrange 50-90",
            "geneve and ip proto 6", "geneve and ether proto 0x86dd", "geneve and ip broadcast", "geneve and ip multicast",
            "tcp port 80 or geneve", "udp and geneve 42", "vlan and geneve 7 and arp", "vlan 100 and geneve",
            "ip host 192.0.2.1 and geneve and ip host 10.1.1.2", "geneve and (tcp port 80 or udp port 53)",
            "geneve and (host 10.1.1.1 or host 10.1.1.2)", "geneve and ether proto 38", "geneve and len > 100",
            "pppoes and geneve", "geneve and inbound", "geneve and ip[100] & 0 = 0", "geneve and 0 * tcp[50] = 0",
            "geneve and tcp[13] + ip[0] > 3", "geneve and not tcp[14] = 0", "host 192.0.2.2 or host 10.1.1.1 and geneve",
            "geneve and (port 80 or 53 or 50000)", "not (geneve 42 and udp)", "geneve and mpls and ip", "geneve and mpls 100",
            "geneve and pppoes and ip", "geneve and vlan and ip", "geneve and icmp", "mpls and geneve", "mpls 100 and geneve 42 and ip",
            "mpls and geneve and tcp port 80", "mpls and geneve and host 10.1.1.1",
            "vlan and geneve 100 and (icmptype % (49 >> 28) <= 8)", "geneve and ip[0] + 3 * 4 - 1 > 80", "geneve and 1 + 2 = 3",
            "geneve and (ip6 net fd00::/8 || -ip[0] < 32 || pppoed)", "geneve and ip6 net 2001:db8::/32", "geneve and dst net ::/0",
            "geneve and net 2001:db8::/64", "geneve and src net 10.1.1.0/24",
            "vlan and geneve and (!ip[icmp6[17:2]:2] = icmpcode)", "geneve and not tcp[udp[0] & 3] = 0", "geneve and not ip6[tcp[0] & 7] = 1",
            "geneve and not icmp6[ip[0] & 3] = 1", "geneve and not udp[ip6[7] & 3] = 0", "geneve and not arp[icmp[0] & 1] = 0",
            "geneve and not ether[ip6[6] & 1] = 0", "geneve and not icmp[tcp[13] & 3] = 0"};

    /**
     * geneve: tcpdump's (unoptimised, register-indexed) program and ours run over the Geneve frames
     * cut at every length, mutated, and the ordinary corpus; the verdicts must agree.
     */
    @Test void geneveVerdictsMatchTcpdump() throws Exception {
        requireTcpdump();
        java.util.Map<String, byte[]> frames = Frames.geneveFrames();
        List<Frames.Packet> packets = new ArrayList<>(Frames.packets(3, frames));
        for (java.util.Map.Entry<String, byte[]> e : frames.entrySet())
            for (int c = 63; c < e.getValue().length; c++) packets.add(new Frames.Packet(e.getKey() + "/cut" + c, e.getValue(), c, e.getValue().length));
        packets.addAll(Frames.packets(42));
        List<String> problems = new ArrayList<>();
        int accepted = 0;
        for (String expr : GENEVE) {
            String[] err = new String[1];
            String dd = tcpdump("-dd", expr, err);
            assertNotNull(dd, "tcpdump rejects '" + expr + "': " + err[0]);
            BpfProgram mine;
            try {
                mine = FilterCompiler.compile(expr);
            } catch (FilterSyntaxException e) {
                problems.add("we reject '" + expr + "' (" + e.getMessage() + ") but tcpdump accepts it");
                continue;
            }
            BpfFilter ref = BpfProgram.parse(dd).interpreter(), mineI = mine.interpreter(), mineJ = mine.filter();
            int bad = 0;
            for (Frames.Packet pk : packets) {
                boolean want = ref.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                boolean gotI = mineI.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                boolean gotJ = mineJ.filter(pk.bytes(), 0, pk.caplen(), pk.wirelen()) != 0;
                if (gotI) accepted++;
                if (gotI != gotJ) problems.add("'" + expr + "': interpreter and JIT disagree on " + pk);
                if (want != gotI && bad++ < 3) problems.add("'" + expr + "': tcpdump says " + want + ", we say " + gotI + " for " + pk);
            }
            if (bad > 3) problems.add("'" + expr + "': ... " + (bad - 3) + " more mismatches");
        }
        if (!problems.isEmpty()) fail(problems.size() + " problems:\n" + String.join("\n", problems));
        assertTrue(accepted > 1000, "accepted " + accepted);
    }

    /** The chain frames with more extension headers than the walk skips (Frames.chains). */
    static boolean longerThanTheBound(String name) {
        for (int n = FilterCompiler.PROTOCHAIN_MAX_HEADERS + 1; n <= 10; n++)
            if (name.startsWith("v6-" + n + "-dst-udp")) return true;
        return false;
    }

    /** The timestamps in seconds (1-based packet numbers) of the packets tcpdump prints when reading the file with the filter. */
    static java.util.Set<Integer> tcpdumpRead(Path file, String expr) throws Exception {
        Path outFile = Files.createTempFile("tcpdump", ".txt");
        String out;
        try {
            // output to a file and a bounded wait: libpcap's protochain loop can spin for ever on a crafted frame
            Process p = new ProcessBuilder(TCPDUMP.toString(), "-tt", "-q", "-n", "-r", file.toString(), "--", expr)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(outFile.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("tcpdump -r with '" + expr + "' did not finish");
            }
            assertEquals(0, p.exitValue(), "tcpdump -r with '" + expr + "'");
            out = Files.readString(outFile);
        } finally {
            Files.deleteIfExists(outFile);
        }
        java.util.Set<Integer> n = new java.util.HashSet<>();
        for (String line : out.split("\n")) {
            int dot = line.indexOf(".000000 ");
            if (dot > 0 && line.substring(0, dot).chars().allMatch(Character::isDigit)) n.add(Integer.parseInt(line.substring(0, dot)));
        }
        return n;
    }

    @Test void dumpOfTcpdumpProgramsMatchesTcpdumpD() throws Exception {
        requireTcpdump();
        List<String> problems = new ArrayList<>();
        for (String line : expressions()) {
            String[] err = new String[1];
            if (line.startsWith("error:")) continue;
            String dd = tcpdump("-dd", line, err);
            if (dd == null) continue;
            String d = tcpdump("-d", line, err);
            String ours = BpfProgram.parse(dd).toDump();
            if (!ours.equals(d)) problems.add("'" + line + "':\n--- tcpdump -d\n" + d + "--- ours\n" + ours);
        }
        if (!problems.isEmpty()) fail(String.join("\n", problems));
    }

    static final String[] PRIMITIVES = {
            "tcp", "udp", "icmp", "icmp6", "ip", "ip6", "arp", "rarp", "sctp", "igmp", "vlan", "vlan 100", "vlan 5",
            "port 80", "port 53", "src port 443", "dst port 80", "tcp port 22", "udp port 53", "portrange 50-90",
            "host 10.0.0.1", "host 10.0.0.2", "src host 1.2.3.4", "dst host 10.0.0.2", "net 10.0.0.0/8", "net 192.168",
            "host 2001:db8::1", "dst net 2001:db8:1::/48", "ether host 02:00:00:00:00:0a", "ether src 02:00:00:00:00:0b",
            "ether broadcast", "multicast", "ip multicast", "ip6 multicast", "less 60", "greater 100", "len > 64",
            "tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-ack != 0", "ip[8] < 64", "ip[6:2] & 0x1fff = 0",
            "icmp[icmptype] = icmp-echo", "icmp6[0] = 135", "udp[0:2] = 53", "ether[0] & 1 = 1", "ip6[6] = 17",
            "proto 17", "ip proto 6", "ip6 proto 58", "ether proto 0x88cc", "ip[2:2] > 100", "arp[7] = 1",
            "tcp[0:2] > 1000", "ip broadcast", "port 80 or 443", "host 10.0.0.1 or 1.2.3.4"};

    static String randomExpression(java.util.Random r, int depth) {
        switch (depth > 2 ? 0 : r.nextInt(5)) {
            case 0: return PRIMITIVES[r.nextInt(PRIMITIVES.length)];
            case 1: return randomExpression(r, depth + 1) + " and " + randomExpression(r, depth + 1);
            case 2: return randomExpression(r, depth + 1) + " or " + randomExpression(r, depth + 1);
            case 3: return "not " + randomExpression(r, depth + 1);
            default: return "(" + randomExpression(r, depth + 1) + ")";
        }
    }

    /**
     * Random combinations of primitives, on whole well-formed frames. (On truncated frames the
     * verdict can depend on which loads libpcap's optimizer kept; see the class comment of
     * FilterCompiler.) When tcpdump refuses an expression because its optimizer proved that it
     * rejects everything, our program must reject every frame too.
     */
    @Test void randomExpressionsMatchTcpdumpOnWholeFrames() throws Exception {
        requireTcpdump();
        java.util.Random r = new java.util.Random(20261128);
        List<byte[]> frames = new ArrayList<>();
        for (java.util.Map.Entry<String, byte[]> e : Frames.corpus().entrySet()) if (e.getValue().length >= 42) frames.add(e.getValue());
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String expr = randomExpression(r, 0);
            String[] err = new String[1];
            String dd = tcpdump("-dd", expr, err);
            BpfProgram mine;
            try {
                mine = FilterCompiler.compile(expr);
            } catch (FilterSyntaxException e) {
                if (dd != null && !e.getMessage().contains("rejects all packets")) problems.add(expr + ": " + e.getMessage());
                continue;
            }
            BpfFilter ref = dd == null ? null : BpfProgram.parse(dd).interpreter();
            for (byte[] f : frames) {
                boolean want = ref != null && ref.matches(f);
                if (want != mine.filter().matches(f)) {
                    problems.add(expr + ": tcpdump " + want + " on " + Frames.hex(f));
                    break;
                }
            }
        }
        if (!problems.isEmpty()) fail(problems.size() + " problems:\n" + String.join("\n", problems));
    }
}
