package io.tapstack.capture;

/**
 * One classic BPF instruction ({@code struct sock_filter} / {@code struct bpf_insn}):
 * a 16-bit opcode, two 8-bit conditional jump offsets and a 32-bit operand.
 * Jump offsets are relative to the next instruction, as in the kernel.
 */
public record BpfInsn(int code, int jt, int jf, int k) {

    public BpfInsn {
        if (code < 0 || code > 0xffff) throw new IllegalArgumentException("code out of range: " + code);
        if (jt < 0 || jt > 0xff) throw new IllegalArgumentException("jt out of range: " + jt);
        if (jf < 0 || jf > 0xff) throw new IllegalArgumentException("jf out of range: " + jf);
    }

    /** BPF_STMT(code, k). */
    public static BpfInsn stmt(int code, int k) { return new BpfInsn(code, 0, 0, k); }

    /** BPF_JUMP(code, k, jt, jf). */
    public static BpfInsn jump(int code, int k, int jt, int jf) { return new BpfInsn(code, jt, jf, k); }

    /** The {@code tcpdump -dd} form: {@code { 0x28, 0, 0, 0x0000000c },}. */
    public String toDd() {
        return String.format("{ 0x%x, %d, %d, 0x%08x },", code, jt, jf, k);
    }

    @Override
    public String toString() { return toDd(); }
}
