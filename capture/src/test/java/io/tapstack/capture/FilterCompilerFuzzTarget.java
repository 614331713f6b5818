package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The pcap-filter compiler under coverage-guided fuzzing. The input is an expression, a NUL, and
 * a frame. Properties: the compiler either refuses with {@link FilterSyntaxException} (with a
 * column inside the expression) or returns a program that the validator accepts (the
 * {@link BpfProgram} constructor validates); the program's JIT and interpreter give the same
 * verdict on the frame whole and cut short ({@code caplen < wirelen}); the unoptimised program
 * compiles too and agrees with its own JIT; and an expression the optimiser proves empty
 * ("rejects all packets") is one whose unoptimised program rejects the frame.
 */
class FilterCompilerFuzzTarget {

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    @DictionaryEntries({"tcp", "udp", "ip", "ip6", "port", "host", "net", "src", "dst", "and", "or", "not", "vlan",
            "ether", "proto", "len", "less", "greater", "tcpflags", "tcp-syn", "tcp-ack", "icmp", "icmp6", "mask",
            "portrange", "broadcast", "multicast", "arp", "rarp", "icmptype", "gateway", "sctp", "protochain",
            "tcp[", "ip[", "ip6[", "ether[", "udp[", "icmp[", "]", "0x", "fe80::", "1.2.3.4", "/24", "ether host",
            "02:00:00:00:00:01", "mpls", "pppoes", "llc", "stp", "inbound", "outbound"})
    void compile(byte[] input) {
        int nul = 0;
        while (nul < input.length && input[nul] != 0) nul++;
        String expr = new String(input, 0, nul, StandardCharsets.ISO_8859_1);
        byte[] frame = nul < input.length ? Arrays.copyOfRange(input, nul + 1, input.length) : new byte[0];
        BpfProgram opt;
        try {
            opt = FilterCompiler.compile(expr, FilterCompiler.DEFAULT_SNAPLEN, 0, true);
        } catch (FilterSyntaxException e) {
            assertTrue(e.column() >= 1 && e.column() <= expr.length() + 1, "column " + e.column() + " of '" + expr + "'");
            if (e.getMessage().contains("rejects all packets")) {
                BpfProgram plain = unoptimised(expr);
                if (plain != null) {
                    assertEquals(0, plain.interpreter().filter(frame), "'" + expr + "' was proved empty but accepts a frame");
                }
            }
            return;
        }
        BpfValidator.validate(opt.instructions());
        agree(expr, opt, frame);
        BpfProgram plain = unoptimised(expr);
        if (plain != null) {
            agree(expr, plain, frame);
        }
        assertEquals(opt.toDd(), BpfProgram.parse(opt.toDd()).toDd(), "the -dd text round trip");
    }

    static void agree(String what, BpfProgram p, byte[] frame) {
        BpfFilter jit = BpfJit.compile(p);
        BpfFilter interp = p.interpreter();
        for (int caplen : new int[] {frame.length, frame.length / 2, Math.min(frame.length, 14)}) {
            assertEquals(interp.filter(frame, 0, caplen, frame.length), jit.filter(frame, 0, caplen, frame.length),
                    what + " on " + caplen + " of " + frame.length + " bytes");
        }
        java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(frame.length + 3);
        direct.put(3, frame);
        assertEquals(interp.filter(frame, 0, frame.length, frame.length), jit.filter(direct, 3, frame.length, frame.length),
                what + " on a direct buffer");
    }

    /**
     * The expression without the optimiser, or null when that program would exceed BPF's 4096
     * instructions though the optimised one does not (refused as "too complex", as it should be).
     */
    private static BpfProgram unoptimised(String expr) {
        try {
            return FilterCompiler.compile(expr, FilterCompiler.DEFAULT_SNAPLEN, 0, false);
        } catch (FilterSyntaxException e) {
            assertTrue(e.getMessage().contains("expression too complex"), "only the optimised compile may refuse otherwise: " + e.getMessage());
            return null;
        }
    }
}
