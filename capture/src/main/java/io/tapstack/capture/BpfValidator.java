package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;

import java.util.List;

/**
 * Checks a classic BPF program before it runs, with the rules of the Linux kernel's
 * {@code bpf_check_classic()} (net/core/filter.c) and libpcap's {@code bpf_validate()}
 * (bpf_filter.c, {@code pcapint_valid_insn}/{@code pcapint_validate_filter}):
 * <ul>
 *   <li>between 1 and {@link Bpf#MAXINSNS} (4096, the kernel's BPF_MAXINSNS) instructions;</li>
 *   <li>every opcode is one that {@code bpf_filter()} knows (exact match, see {@link Bpf#isKnownOpcode});</li>
 *   <li>scratch memory indexes (LD/LDX MEM, ST, STX) are below 16;</li>
 *   <li>division or modulo by a constant 0 is rejected;</li>
 *   <li>shifts by a constant of 32 or more are rejected (kernel and current libpcap);</li>
 *   <li>every jump lands inside the program and goes forward: the kernel's rule. (libpcap's
 *       userland validator also admits backward {@code ja}, which only its {@code protochain}
 *       primitive emits; we follow the kernel so that every program terminates);</li>
 *   <li>the last instruction is a RET.</li>
 * </ul>
 * Because every jump is forward and the program ends in RET, execution always terminates
 * within {@code length} steps and never runs off the end.
 */
public final class BpfValidator {
    private BpfValidator() {}

    /** Validates the program; throws {@link BpfValidationException} naming the first problem. */
    public static void validate(List<BpfInsn> insns) {
        validate(insns.toArray(new BpfInsn[0]));
    }

    /** Validates the program; throws {@link BpfValidationException} naming the first problem. */
    public static void validate(BpfInsn[] insns) {
        int len = insns.length;
        if (len == 0) throw new BpfValidationException(-1, "empty program");
        if (len > MAXINSNS) throw new BpfValidationException(-1, "too long: " + len + " > " + MAXINSNS + " instructions");
        for (int i = 0; i < len; i++) {
            BpfInsn p = insns[i];
            int code = p.code();
            if (!isKnownOpcode(code)) throw new BpfValidationException(i, String.format("unknown opcode 0x%x", code));
            int k = p.k();
            switch (code) {
                case LD | MEM: case LDX | MEM: case ST: case STX:
                    if (Integer.compareUnsigned(k, MEMWORDS) >= 0)
                        throw new BpfValidationException(i, "scratch memory index " + Integer.toUnsignedString(k) + " >= " + MEMWORDS);
                    break;
                case ALU | DIV | K: case ALU | MOD | K:
                    if (k == 0) throw new BpfValidationException(i, "division by constant zero");
                    break;
                case ALU | LSH | K: case ALU | RSH | K:
                    if (Integer.compareUnsigned(k, 32) >= 0)
                        throw new BpfValidationException(i, "constant shift by " + Integer.toUnsignedString(k) + " >= 32");
                    break;
                default:
                    break;
            }
            if (cls(code) == JMP) {
                long from = i + 1L;
                if (op(code) == JA) {
                    // kernel: if (ftest->k >= (unsigned int)(flen - pc - 1)) return -EINVAL;
                    if (from + Integer.toUnsignedLong(k) >= len)
                        throw new BpfValidationException(i, "ja target " + (from + Integer.toUnsignedLong(k)) + " outside program of " + len);
                } else {
                    if (from + p.jt() >= len || from + p.jf() >= len)
                        throw new BpfValidationException(i, "conditional jump target outside program of " + len);
                }
            }
        }
        if (cls(insns[len - 1].code()) != RET) throw new BpfValidationException(len - 1, "last instruction is not a RET");
    }

    /** True if the program passes {@link #validate}. */
    public static boolean isValid(BpfInsn[] insns) {
        try {
            validate(insns);
            return true;
        } catch (BpfValidationException e) {
            return false;
        }
    }
}
