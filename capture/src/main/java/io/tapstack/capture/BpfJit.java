package io.tapstack.capture;

import static io.tapstack.capture.Bpf.*;
import static org.objectweb.asm.Opcodes.ACC_FINAL;
import static org.objectweb.asm.Opcodes.ACC_PUBLIC;
import static org.objectweb.asm.Opcodes.ACC_SUPER;
import static org.objectweb.asm.Opcodes.ALOAD;
import static org.objectweb.asm.Opcodes.ARRAYLENGTH;
import static org.objectweb.asm.Opcodes.BIPUSH;
import static org.objectweb.asm.Opcodes.GOTO;
import static org.objectweb.asm.Opcodes.IADD;
import static org.objectweb.asm.Opcodes.IAND;
import static org.objectweb.asm.Opcodes.ICONST_0;
import static org.objectweb.asm.Opcodes.IFEQ;
import static org.objectweb.asm.Opcodes.IFLT;
import static org.objectweb.asm.Opcodes.IFNE;
import static org.objectweb.asm.Opcodes.IF_ICMPEQ;
import static org.objectweb.asm.Opcodes.IF_ICMPGE;
import static org.objectweb.asm.Opcodes.IF_ICMPGT;
import static org.objectweb.asm.Opcodes.IF_ICMPLE;
import static org.objectweb.asm.Opcodes.IF_ICMPLT;
import static org.objectweb.asm.Opcodes.IF_ICMPNE;
import static org.objectweb.asm.Opcodes.ILOAD;
import static org.objectweb.asm.Opcodes.IMUL;
import static org.objectweb.asm.Opcodes.INEG;
import static org.objectweb.asm.Opcodes.INVOKESPECIAL;
import static org.objectweb.asm.Opcodes.INVOKESTATIC;
import static org.objectweb.asm.Opcodes.INVOKEVIRTUAL;
import static org.objectweb.asm.Opcodes.IOR;
import static org.objectweb.asm.Opcodes.IRETURN;
import static org.objectweb.asm.Opcodes.ISHL;
import static org.objectweb.asm.Opcodes.ISTORE;
import static org.objectweb.asm.Opcodes.ISUB;
import static org.objectweb.asm.Opcodes.IUSHR;
import static org.objectweb.asm.Opcodes.IXOR;
import static org.objectweb.asm.Opcodes.POP;
import static org.objectweb.asm.Opcodes.RETURN;
import static org.objectweb.asm.Opcodes.SIPUSH;
import static org.objectweb.asm.Opcodes.V17;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Consumer;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

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
 * <p>The class file is written with ASM ({@link ClassWriter#COMPUTE_FRAMES}: ASM computes the
 * stack map frames and widens branches whose offsets do not fit in 16 bits). If generation fails
 * (for example a method beyond the JVM's 64 KiB of bytecode for a very long program),
 * {@link #compileOrInterpret} falls back to the interpreter.
 */
public final class BpfJit {
    private static final System.Logger LOG = System.getLogger("io.tapstack.capture");
    private static final String RUNTIME = "io/tapstack/capture/BpfRuntime";
    private static final String NAME = "io/tapstack/capture/BpfJitFilter";

    // local variable slots
    private static final int L_BUF = 1, L_OFF = 2, L_CAPLEN = 3, L_WIRELEN = 4, L_PKTTYPE = 5, L_A = 6, L_X = 7, L_MEM = 8;

    /**
     * Sees every class file before it is defined (tests verify each one with ASM's
     * {@code CheckClassAdapter}); null in production.
     */
    static volatile Consumer<byte[]> inspector;

    private BpfJit() {}

    /** Compiles the program, or returns its interpreter if compilation fails. */
    public static BpfFilter compileOrInterpret(BpfProgram program) {
        try {
            return compile(program);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.DEBUG, "BPF JIT failed, using the interpreter", e);
            return program.interpreter();
        }
    }

    /** Compiles the program to a hidden class. */
    public static BpfFilter compile(BpfProgram program) {
        byte[] bytes = generate(program);
        Consumer<byte[]> check = inspector;
        if (check != null) check.accept(bytes);
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
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            // Frames merge only ints and each method's one buffer parameter (never reassigned),
            // so two different reference types never meet; answering without loading classes
            // keeps ASM away from class loaders.
            @Override
            protected String getCommonSuperClass(String type1, String type2) {
                return type1.equals(type2) ? type1 : "java/lang/Object";
            }
        };
        cw.visit(V17, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, NAME, null, "java/lang/Object",
                new String[] {"io/tapstack/capture/BpfFilter"});
        MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(ALOAD, 0);
        init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        body(cw.visitMethod(ACC_PUBLIC, "filter", "(Ljava/nio/ByteBuffer;IIII)I", null, null), program, false);
        body(cw.visitMethod(ACC_PUBLIC, "filter", "([BIIII)I", null, null), program, true);
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void body(MethodVisitor c, BpfProgram program, boolean array) {
        BpfInsn[] insns = program.instructions();
        int n = insns.length;
        String bufDesc = array ? "[B" : "Ljava/nio/ByteBuffer;";
        String loadDesc = "(" + bufDesc + "I)I";
        c.visitCode();

        // Objects.checkFromIndexSize(off, caplen, length) — same contract as the interpreter.
        c.visitVarInsn(ILOAD, L_OFF);
        c.visitVarInsn(ILOAD, L_CAPLEN);
        c.visitVarInsn(ALOAD, L_BUF);
        if (array) c.visitInsn(ARRAYLENGTH);
        else c.visitMethodInsn(INVOKEVIRTUAL, "java/nio/ByteBuffer", "limit", "()I", false);
        c.visitMethodInsn(INVOKESTATIC, "java/util/Objects", "checkFromIndexSize", "(III)I", false);
        c.visitInsn(POP);

        // A = X = M[0..15] = 0 (only the words the program uses get a local)
        boolean[] memUsed = new boolean[MEMWORDS];
        for (BpfInsn p : insns) {
            int cl = p.code();
            if (cl == (LD | MEM) || cl == (LDX | MEM) || cl == ST || cl == STX) memUsed[p.k()] = true;
        }
        iconst(c, 0); c.visitVarInsn(ISTORE, L_A);
        iconst(c, 0); c.visitVarInsn(ISTORE, L_X);
        for (int m = 0; m < MEMWORDS; m++) if (memUsed[m]) { iconst(c, 0); c.visitVarInsn(ISTORE, L_MEM + m); }

        Label[] labels = new Label[n];
        for (int i = 0; i < n; i++) labels[i] = new Label();
        Label reject = new Label();

        for (int pc = 0; pc < n; pc++) {
            BpfInsn p = insns[pc];
            int k = p.k();
            c.visitLabel(labels[pc]);
            switch (p.code()) {
                case RET | K: iconst(c, k); c.visitInsn(IRETURN); break;
                case RET | A: c.visitVarInsn(ILOAD, L_A); c.visitInsn(IRETURN); break;
                case LD | W | ABS: absLoad(c, k, 4, "ldw", loadDesc, reject, true); c.visitVarInsn(ISTORE, L_A); break;
                case LD | H | ABS: absLoad(c, k, 2, "ldh", loadDesc, reject, true); c.visitVarInsn(ISTORE, L_A); break;
                case LD | B | ABS: absLoad(c, k, 1, "ldb", loadDesc, reject, true); c.visitVarInsn(ISTORE, L_A); break;
                case LD | W | IND: indLoad(c, k, 4, "ldw", loadDesc, reject); c.visitVarInsn(ISTORE, L_A); break;
                case LD | H | IND: indLoad(c, k, 2, "ldh", loadDesc, reject); c.visitVarInsn(ISTORE, L_A); break;
                case LD | B | IND: indLoad(c, k, 1, "ldb", loadDesc, reject); c.visitVarInsn(ISTORE, L_A); break;
                case LDX | MSH | B:
                    absLoad(c, k, 1, "ldb", loadDesc, reject, false);
                    iconst(c, 0xf); c.visitInsn(IAND); iconst(c, 2); c.visitInsn(ISHL); c.visitVarInsn(ISTORE, L_X);
                    break;
                case LD | W | LEN: c.visitVarInsn(ILOAD, L_WIRELEN); c.visitVarInsn(ISTORE, L_A); break;
                case LDX | W | LEN: c.visitVarInsn(ILOAD, L_WIRELEN); c.visitVarInsn(ISTORE, L_X); break;
                case LD | IMM: iconst(c, k); c.visitVarInsn(ISTORE, L_A); break;
                case LDX | IMM: iconst(c, k); c.visitVarInsn(ISTORE, L_X); break;
                case LD | MEM: c.visitVarInsn(ILOAD, L_MEM + k); c.visitVarInsn(ISTORE, L_A); break;
                case LDX | MEM: c.visitVarInsn(ILOAD, L_MEM + k); c.visitVarInsn(ISTORE, L_X); break;
                case ST: c.visitVarInsn(ILOAD, L_A); c.visitVarInsn(ISTORE, L_MEM + k); break;
                case STX: c.visitVarInsn(ILOAD, L_X); c.visitVarInsn(ISTORE, L_MEM + k); break;
                case JMP | JA: c.visitJumpInsn(GOTO, labels[pc + 1 + k]); break;
                case JMP | JEQ | K: case JMP | JEQ | X:
                    c.visitVarInsn(ILOAD, L_A); operand(c, p, false);
                    cond(c, IF_ICMPEQ, IF_ICMPNE, p, pc, labels);
                    break;
                case JMP | JGT | K: case JMP | JGT | X:
                    // unsigned a > b  <=>  (a ^ MIN) > (b ^ MIN) signed
                    c.visitVarInsn(ILOAD, L_A); iconst(c, Integer.MIN_VALUE); c.visitInsn(IXOR); operand(c, p, true);
                    cond(c, IF_ICMPGT, IF_ICMPLE, p, pc, labels);
                    break;
                case JMP | JGE | K: case JMP | JGE | X:
                    c.visitVarInsn(ILOAD, L_A); iconst(c, Integer.MIN_VALUE); c.visitInsn(IXOR); operand(c, p, true);
                    cond(c, IF_ICMPGE, IF_ICMPLT, p, pc, labels);
                    break;
                case JMP | JSET | K: case JMP | JSET | X:
                    c.visitVarInsn(ILOAD, L_A); operand(c, p, false); c.visitInsn(IAND);
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
                    c.visitVarInsn(ILOAD, L_A); iconst(c, k);
                    c.visitMethodInsn(INVOKESTATIC, "java/lang/Integer", op(p.code()) == DIV ? "divideUnsigned" : "remainderUnsigned", "(II)I", false);
                    c.visitVarInsn(ISTORE, L_A);
                    break;
                case ALU | DIV | X: case ALU | MOD | X:
                    c.visitVarInsn(ILOAD, L_X); c.visitJumpInsn(IFEQ, reject); // libpcap: division by zero returns 0
                    c.visitVarInsn(ILOAD, L_A); c.visitVarInsn(ILOAD, L_X);
                    c.visitMethodInsn(INVOKESTATIC, "java/lang/Integer", op(p.code()) == DIV ? "divideUnsigned" : "remainderUnsigned", "(II)I", false);
                    c.visitVarInsn(ISTORE, L_A);
                    break;
                case ALU | LSH | X: case ALU | RSH | X:
                    c.visitVarInsn(ILOAD, L_A); c.visitVarInsn(ILOAD, L_X);
                    c.visitMethodInsn(INVOKESTATIC, RUNTIME, op(p.code()) == LSH ? "lsh" : "rsh", "(II)I", false);
                    c.visitVarInsn(ISTORE, L_A);
                    break;
                case ALU | NEG: c.visitVarInsn(ILOAD, L_A); c.visitInsn(INEG); c.visitVarInsn(ISTORE, L_A); break;
                case MISC | TAX: c.visitVarInsn(ILOAD, L_A); c.visitVarInsn(ISTORE, L_X); break;
                case MISC | TXA: c.visitVarInsn(ILOAD, L_X); c.visitVarInsn(ISTORE, L_A); break;
                default:
                    throw new IllegalStateException("unexpected opcode " + p.code());
            }
        }
        c.visitLabel(reject);
        iconst(c, 0);
        c.visitInsn(IRETURN);
        c.visitMaxs(0, 0); // computed by COMPUTE_FRAMES
        c.visitEnd();
    }

    /** Push an int constant with the shortest instruction. */
    private static void iconst(MethodVisitor c, int v) {
        if (v >= -1 && v <= 5) c.visitInsn(ICONST_0 + v);
        else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) c.visitIntInsn(BIPUSH, v);
        else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) c.visitIntInsn(SIPUSH, v);
        else c.visitLdcInsn(v);
    }

    /**
     * Push the packet word at constant offset k, or go to reject if k + size > caplen. With
     * {@code ancillary}, k = SKF_AD_OFF + SKF_AD_PKTTYPE pushes the packet type argument instead
     * (reject if it is unknown); only that constant pays for it.
     */
    private static void absLoad(MethodVisitor c, int k, int size, String fn, String desc, Label reject, boolean ancillary) {
        long end = Integer.toUnsignedLong(k) + size;
        if (ancillary && k == SKF_AD_OFF + SKF_AD_PKTTYPE) {
            c.visitVarInsn(ILOAD, L_PKTTYPE);
            c.visitJumpInsn(IFLT, reject);
            c.visitVarInsn(ILOAD, L_PKTTYPE);
            return;
        }
        if (end > Integer.MAX_VALUE) {
            c.visitJumpInsn(GOTO, reject); // caplen is an int: this load can never fit
            iconst(c, 0); // unreachable (ASM replaces it), keeps the fall-through's stack shape
            return;
        }
        c.visitVarInsn(ILOAD, L_CAPLEN);
        iconst(c, (int) end);
        c.visitJumpInsn(IF_ICMPLT, reject); // libpcap: out-of-bounds load returns 0
        c.visitVarInsn(ALOAD, L_BUF);
        c.visitVarInsn(ILOAD, L_OFF);
        iconst(c, k);
        c.visitInsn(IADD);
        c.visitMethodInsn(INVOKESTATIC, RUNTIME, fn, desc, false);
    }

    /** Push the packet word at X + k, or go to reject if it does not fit in caplen. */
    private static void indLoad(MethodVisitor c, int k, int size, String fn, String desc, Label reject) {
        c.visitVarInsn(ILOAD, L_X); iconst(c, k); iconst(c, size); c.visitVarInsn(ILOAD, L_CAPLEN);
        c.visitMethodInsn(INVOKESTATIC, RUNTIME, "fits", "(IIII)Z", false);
        c.visitJumpInsn(IFEQ, reject);
        c.visitVarInsn(ALOAD, L_BUF);
        c.visitVarInsn(ILOAD, L_OFF); c.visitVarInsn(ILOAD, L_X); c.visitInsn(IADD); iconst(c, k); c.visitInsn(IADD);
        c.visitMethodInsn(INVOKESTATIC, RUNTIME, fn, desc, false);
    }

    private static void operand(MethodVisitor c, BpfInsn p, boolean unsignedBias) {
        if (src(p.code()) == X) {
            c.visitVarInsn(ILOAD, L_X);
            if (unsignedBias) { iconst(c, Integer.MIN_VALUE); c.visitInsn(IXOR); }
        } else {
            iconst(c, unsignedBias ? p.k() ^ Integer.MIN_VALUE : p.k());
        }
    }

    private static void alu(MethodVisitor c, BpfInsn p, int opcode) {
        c.visitVarInsn(ILOAD, L_A);
        operand(c, p, false);
        c.visitInsn(opcode);
        c.visitVarInsn(ISTORE, L_A);
    }

    /** Emit the branch pair for a conditional jump whose operands are on the stack. */
    private static void cond(MethodVisitor c, int ifTrue, int ifFalse, BpfInsn p, int pc, Label[] labels) {
        if (p.jt() == 0 && p.jf() == 0) {
            // both edges fall through: still consume the operands
            c.visitJumpInsn(ifTrue, labels[pc + 1]);
        } else if (p.jt() == 0) {
            c.visitJumpInsn(ifFalse, labels[pc + 1 + p.jf()]);
        } else if (p.jf() == 0) {
            c.visitJumpInsn(ifTrue, labels[pc + 1 + p.jt()]);
        } else {
            c.visitJumpInsn(ifTrue, labels[pc + 1 + p.jt()]);
            c.visitJumpInsn(GOTO, labels[pc + 1 + p.jf()]);
        }
    }
}
