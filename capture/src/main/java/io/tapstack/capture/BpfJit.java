package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static io.tapstack.capture.ClassFileWriter.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Compiles a validated classic BPF program to JVM bytecode: one hidden class
 * ({@link MethodHandles.Lookup#defineHiddenClass}) per program implementing {@link BpfFilter},
 * whose two {@code filter} methods are straight translations of the program. A and X are
 * local variables, each scratch word a local, each BPF instruction a labelled bytecode
 * sequence; the bounds checks, unsigned comparisons, division and shift rules are those of
 * {@link BpfInterpreter} (libpcap bpf_filter.c), so verdicts are identical. HotSpot then
 * compiles the class like any other code. The generated class has no state: it is thread-safe
 * and allocates nothing.
 *
 * <p>If generation fails (for example a branch offset beyond 32 KiB of bytecode for a very long
 * program), {@link #compileOrInterpret} falls back to the interpreter.
 */
public final class BpfJit {
    private static final Logger LOG = Logger.getLogger(BpfJit.class.getName());
    private static final String RUNTIME = "io/tapstack/capture/BpfRuntime";
    private static final String NAME = "io/tapstack/capture/BpfJitFilter";

    // local variable slots
    private static final int L_BUF = 1, L_OFF = 2, L_CAPLEN = 3, L_WIRELEN = 4, L_A = 5, L_X = 6, L_MEM = 7;

    private BpfJit() {}

    /** Compiles the program, or returns its interpreter if compilation fails. */
    public static BpfFilter compileOrInterpret(BpfProgram program) {
        try {
            return compile(program);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.FINE, "BPF JIT failed, using the interpreter", e);
            return program.interpreter();
        }
    }

    /** Compiles the program to a hidden class. */
    public static BpfFilter compile(BpfProgram program) {
        byte[] bytes = generate(program);
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClass(bytes, true);
            return (BpfFilter) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot define BPF filter class", t);
        }
    }

    /** The class file for the program (exposed for tests). */
    static byte[] generate(BpfProgram program) {
        ClassFileWriter cw = new ClassFileWriter(NAME, "java/lang/Object", "io/tapstack/capture/BpfFilter");
        ClassFileWriter.Code init = cw.new Code(1, 1);
        init.aload(0);
        init.invoke(INVOKESPECIAL, "java/lang/Object", "<init>", "()V");
        init.op(RETURN);
        cw.addMethod(ACC_PUBLIC, "<init>", "()V", init);
        cw.addMethod(ACC_PUBLIC, "filter", "(Ljava/nio/ByteBuffer;III)I", body(cw, program, false));
        cw.addMethod(ACC_PUBLIC, "filter", "([BIII)I", body(cw, program, true));
        return cw.toByteArray();
    }

    private static ClassFileWriter.Code body(ClassFileWriter cw, BpfProgram program, boolean array) {
        BpfInsn[] insns = program.instructions();
        int n = insns.length;
        ClassFileWriter.Code c = cw.new Code(6, L_MEM + MEMWORDS);
        String bufDesc = array ? "[B" : "Ljava/nio/ByteBuffer;";
        String loadDesc = "(" + bufDesc + "I)I";

        // Objects.checkFromIndexSize(off, caplen, length) — same contract as the interpreter.
        c.iload(L_OFF);
        c.iload(L_CAPLEN);
        c.aload(L_BUF);
        if (array) c.op(ARRAYLENGTH);
        else c.invoke(INVOKEVIRTUAL, "java/nio/ByteBuffer", "limit", "()I");
        c.invoke(INVOKESTATIC, "java/util/Objects", "checkFromIndexSize", "(III)I");
        c.op(POP);

        // A = X = M[0..15] = 0 (only the words the program uses get a local)
        boolean[] memUsed = new boolean[MEMWORDS];
        for (BpfInsn p : insns) {
            int cl = p.code();
            if (cl == (LD | MEM) || cl == (LDX | MEM) || cl == ST || cl == STX) memUsed[p.k()] = true;
        }
        c.iconst(0); c.istore(L_A);
        c.iconst(0); c.istore(L_X);
        for (int m = 0; m < MEMWORDS; m++) if (memUsed[m]) { c.iconst(0); c.istore(L_MEM + m); }

        ClassFileWriter.Label[] labels = new ClassFileWriter.Label[n];
        for (int i = 0; i < n; i++) labels[i] = new ClassFileWriter.Label();
        ClassFileWriter.Label reject = new ClassFileWriter.Label();

        for (int pc = 0; pc < n; pc++) {
            BpfInsn p = insns[pc];
            int k = p.k();
            c.mark(labels[pc]);
            switch (p.code()) {
                case RET | K: c.iconst(k); c.op(IRETURN); break;
                case RET | A: c.iload(L_A); c.op(IRETURN); break;
                case LD | W | ABS: absLoad(c, k, 4, "ldw", loadDesc, reject); c.istore(L_A); break;
                case LD | H | ABS: absLoad(c, k, 2, "ldh", loadDesc, reject); c.istore(L_A); break;
                case LD | B | ABS: absLoad(c, k, 1, "ldb", loadDesc, reject); c.istore(L_A); break;
                case LD | W | IND: indLoad(c, k, 4, "ldw", loadDesc, reject); c.istore(L_A); break;
                case LD | H | IND: indLoad(c, k, 2, "ldh", loadDesc, reject); c.istore(L_A); break;
                case LD | B | IND: indLoad(c, k, 1, "ldb", loadDesc, reject); c.istore(L_A); break;
                case LDX | MSH | B:
                    absLoad(c, k, 1, "ldb", loadDesc, reject);
                    c.iconst(0xf); c.op(IAND); c.iconst(2); c.op(ISHL); c.istore(L_X);
                    break;
                case LD | W | LEN: c.iload(L_WIRELEN); c.istore(L_A); break;
                case LDX | W | LEN: c.iload(L_WIRELEN); c.istore(L_X); break;
                case LD | IMM: c.iconst(k); c.istore(L_A); break;
                case LDX | IMM: c.iconst(k); c.istore(L_X); break;
                case LD | MEM: c.iload(L_MEM + k); c.istore(L_A); break;
                case LDX | MEM: c.iload(L_MEM + k); c.istore(L_X); break;
                case ST: c.iload(L_A); c.istore(L_MEM + k); break;
                case STX: c.iload(L_X); c.istore(L_MEM + k); break;
                case JMP | JA: c.branch(GOTO, labels[pc + 1 + k]); break;
                case JMP | JEQ | K: case JMP | JEQ | X:
                    c.iload(L_A); operand(c, p, false);
                    cond(c, IF_ICMPEQ, IF_ICMPNE, p, pc, labels);
                    break;
                case JMP | JGT | K: case JMP | JGT | X:
                    // unsigned a > b  <=>  (a ^ MIN) > (b ^ MIN) signed
                    c.iload(L_A); c.iconst(Integer.MIN_VALUE); c.op(IXOR); operand(c, p, true);
                    cond(c, IF_ICMPGT, IF_ICMPLE, p, pc, labels);
                    break;
                case JMP | JGE | K: case JMP | JGE | X:
                    c.iload(L_A); c.iconst(Integer.MIN_VALUE); c.op(IXOR); operand(c, p, true);
                    cond(c, IF_ICMPGE, IF_ICMPLT, p, pc, labels);
                    break;
                case JMP | JSET | K: case JMP | JSET | X:
                    c.iload(L_A); operand(c, p, false); c.op(IAND);
                    cond(c, IFNE, IFEQ, p, pc, labels);
                    break;
                case ALU | ADD | K: case ALU | ADD | X: alu(c, p, IADD); break;
                case ALU | SUB | K: case ALU | SUB | X: alu(c, p, ISUB); break;
                case ALU | MUL | K: case ALU | MUL | X: alu(c, p, IMUL); break;
                case ALU | AND | K: case ALU | AND | X: alu(c, p, IAND); break;
                case ALU | OR | K: case ALU | OR | X: alu(c, p, IOR); break;
                case ALU | XOR | K: case ALU | XOR | X: alu(c, p, IXOR); break;
                case ALU | LSH | K: alu(c, p, ISHL); break;   // k < 32: validated
                case ALU | RSH | K: alu(c, p, IUSHR); break;
                case ALU | DIV | K: case ALU | MOD | K:
                    c.iload(L_A); c.iconst(k);
                    c.invoke(INVOKESTATIC, "java/lang/Integer", op(p.code()) == DIV ? "divideUnsigned" : "remainderUnsigned", "(II)I");
                    c.istore(L_A);
                    break;
                case ALU | DIV | X: case ALU | MOD | X:
                    c.iload(L_X); c.branch(IFEQ, reject); // libpcap: division by zero returns 0
                    c.iload(L_A); c.iload(L_X);
                    c.invoke(INVOKESTATIC, "java/lang/Integer", op(p.code()) == DIV ? "divideUnsigned" : "remainderUnsigned", "(II)I");
                    c.istore(L_A);
                    break;
                case ALU | LSH | X: case ALU | RSH | X:
                    c.iload(L_A); c.iload(L_X);
                    c.invoke(INVOKESTATIC, RUNTIME, op(p.code()) == LSH ? "lsh" : "rsh", "(II)I");
                    c.istore(L_A);
                    break;
                case ALU | NEG: c.iload(L_A); c.op(INEG); c.istore(L_A); break;
                case MISC | TAX: c.iload(L_A); c.istore(L_X); break;
                case MISC | TXA: c.iload(L_X); c.istore(L_A); break;
                default:
                    throw new IllegalStateException("unexpected opcode " + p.code());
            }
        }
        c.mark(reject);
        c.iconst(0);
        c.op(IRETURN);
        return c;
    }

    /** Push the packet word at constant offset k, or go to reject if k + size > caplen. */
    private static void absLoad(ClassFileWriter.Code c, int k, int size, String fn, String desc, ClassFileWriter.Label reject) {
        long end = Integer.toUnsignedLong(k) + size;
        if (end > Integer.MAX_VALUE) {
            c.branch(GOTO, reject); // caplen is an int: this load can never fit
            c.iconst(0); // unreachable, keeps the stack shape of the fall-through for the verifier
            return;
        }
        c.iload(L_CAPLEN);
        c.iconst((int) end);
        c.branch(IF_ICMPLT, reject); // libpcap: out-of-bounds load returns 0
        c.aload(L_BUF);
        c.iload(L_OFF);
        c.iconst(k);
        c.op(IADD);
        c.invoke(INVOKESTATIC, RUNTIME, fn, desc);
    }

    /** Push the packet word at X + k, or go to reject if it does not fit in caplen. */
    private static void indLoad(ClassFileWriter.Code c, int k, int size, String fn, String desc, ClassFileWriter.Label reject) {
        c.iload(L_X); c.iconst(k); c.iconst(size); c.iload(L_CAPLEN);
        c.invoke(INVOKESTATIC, RUNTIME, "fits", "(IIII)Z");
        c.branch(IFEQ, reject);
        c.aload(L_BUF);
        c.iload(L_OFF); c.iload(L_X); c.op(IADD); c.iconst(k); c.op(IADD);
        c.invoke(INVOKESTATIC, RUNTIME, fn, desc);
    }

    private static void operand(ClassFileWriter.Code c, BpfInsn p, boolean unsignedBias) {
        if (src(p.code()) == X) {
            c.iload(L_X);
            if (unsignedBias) { c.iconst(Integer.MIN_VALUE); c.op(IXOR); }
        } else {
            c.iconst(unsignedBias ? p.k() ^ Integer.MIN_VALUE : p.k());
        }
    }

    private static void alu(ClassFileWriter.Code c, BpfInsn p, int opcode) {
        c.iload(L_A);
        operand(c, p, false);
        c.op(opcode);
        c.istore(L_A);
    }

    /** Emit the branch pair for a conditional jump whose operands are on the stack. */
    private static void cond(ClassFileWriter.Code c, int ifTrue, int ifFalse, BpfInsn p, int pc, ClassFileWriter.Label[] labels) {
        if (p.jt() == 0 && p.jf() == 0) {
            // both edges fall through: still consume the operands
            c.branch(ifTrue, labels[pc + 1]);
        } else if (p.jt() == 0) {
            c.branch(ifFalse, labels[pc + 1 + p.jf()]);
        } else if (p.jf() == 0) {
            c.branch(ifTrue, labels[pc + 1 + p.jt()]);
        } else {
            c.branch(ifTrue, labels[pc + 1 + p.jt()]);
            c.branch(GOTO, labels[pc + 1 + p.jf()]);
        }
    }
}
