package io.tapstack.capture;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately small JVM class-file writer (JVMS §4), enough for {@link BpfJit}: a constant
 * pool, one class with methods, and a bytecode buffer with forward/backward labels.
 * Classes are written as version 49 (Java 5) so that no StackMapTable is needed: the JVM
 * verifies them with the type-inferencing verifier (JVMS §4.10.2).
 */
final class ClassFileWriter {
    static final int ACC_PUBLIC = 0x0001, ACC_FINAL = 0x0010, ACC_SUPER = 0x0020, ACC_STATIC = 0x0008;

    // opcodes used by the JIT (JVMS §6.5)
    static final int ICONST_M1 = 0x02, ICONST_0 = 0x03, BIPUSH = 0x10, SIPUSH = 0x11, LDC = 0x12, LDC_W = 0x13,
            ILOAD = 0x15, ALOAD = 0x19, ISTORE = 0x36, POP = 0x57,
            IADD = 0x60, ISUB = 0x64, IMUL = 0x68, INEG = 0x74, ISHL = 0x78, IUSHR = 0x7c,
            IAND = 0x7e, IOR = 0x80, IXOR = 0x82,
            IFEQ = 0x99, IFNE = 0x9a, IF_ICMPEQ = 0x9f, IF_ICMPNE = 0xa0, IF_ICMPLT = 0xa1, IF_ICMPGE = 0xa2,
            IF_ICMPGT = 0xa3, IF_ICMPLE = 0xa4, GOTO = 0xa7, IRETURN = 0xac, RETURN = 0xb1,
            INVOKEVIRTUAL = 0xb6, INVOKESPECIAL = 0xb7, INVOKESTATIC = 0xb8, ARRAYLENGTH = 0xbe;

    private final ByteArrayOutputStream poolBytes = new ByteArrayOutputStream();
    private final DataOutputStream pool = new DataOutputStream(poolBytes);
    private final Map<String, Integer> poolIndex = new HashMap<>();
    private int poolCount = 1;
    private final List<byte[]> methods = new ArrayList<>();
    private final int thisClass;
    private final int superClass;
    private final int[] interfaces;
    private final int codeName;

    ClassFileWriter(String name, String superName, String... interfaceNames) {
        thisClass = classRef(name);
        superClass = classRef(superName);
        interfaces = new int[interfaceNames.length];
        for (int i = 0; i < interfaceNames.length; i++) interfaces[i] = classRef(interfaceNames[i]);
        codeName = utf8("Code");
    }

    // ---------------------------------------------------------------- constant pool (JVMS §4.4)

    private int entry(String key, int tag, IoWriter body) {
        Integer idx = poolIndex.get(key);
        if (idx != null) return idx;
        try {
            pool.writeByte(tag);
            body.write(pool);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int i = poolCount++;
        if (poolCount > 0xffff) throw new IllegalStateException("constant pool overflow");
        poolIndex.put(key, i);
        return i;
    }

    private interface IoWriter { void write(DataOutputStream out) throws IOException; }

    int utf8(String s) { return entry("U" + s, 1, o -> o.writeUTF(s)); }

    int integer(int v) { return entry("I" + v, 3, o -> o.writeInt(v)); }

    int classRef(String internalName) {
        int n = utf8(internalName);
        return entry("C" + internalName, 7, o -> o.writeShort(n));
    }

    int nameAndType(String name, String desc) {
        int n = utf8(name), d = utf8(desc);
        return entry("N" + name + ":" + desc, 12, o -> { o.writeShort(n); o.writeShort(d); });
    }

    int methodRef(String owner, String name, String desc) {
        int c = classRef(owner), nt = nameAndType(name, desc);
        return entry("M" + owner + "." + name + desc, 10, o -> { o.writeShort(c); o.writeShort(nt); });
    }

    // ---------------------------------------------------------------- methods

    void addMethod(int access, String name, String desc, Code code) {
        code.resolve();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            o.writeShort(access);
            o.writeShort(utf8(name));
            o.writeShort(utf8(desc));
            o.writeShort(1); // attributes: Code
            byte[] bc = code.bytes();
            o.writeShort(codeName);
            o.writeInt(2 + 2 + 4 + bc.length + 2 + 2);
            o.writeShort(code.maxStack);
            o.writeShort(code.maxLocals);
            o.writeInt(bc.length);
            o.write(bc);
            o.writeShort(0); // exception table
            o.writeShort(0); // attributes
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        methods.add(bytes.toByteArray());
    }

    byte[] toByteArray() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream o = new DataOutputStream(bytes)) {
            o.writeInt(0xCAFEBABE);
            o.writeShort(0);  // minor
            o.writeShort(49); // major: Java 5, no StackMapTable required
            pool.flush();
            o.writeShort(poolCount);
            o.write(poolBytes.toByteArray());
            o.writeShort(ACC_PUBLIC | ACC_FINAL | ACC_SUPER);
            o.writeShort(thisClass);
            o.writeShort(superClass);
            o.writeShort(interfaces.length);
            for (int i : interfaces) o.writeShort(i);
            o.writeShort(0); // fields
            o.writeShort(methods.size());
            for (byte[] m : methods) o.write(m);
            o.writeShort(0); // class attributes
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A label in a {@link Code} buffer. */
    static final class Label {
        int pos = -1;
    }

    /** A method body under construction. */
    final class Code {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final List<int[]> fixups = new ArrayList<>(); // {branchPos, operandPos}
        private final List<Label> fixupLabels = new ArrayList<>();
        int maxStack;
        int maxLocals;
        private byte[] resolved;

        Code(int maxStack, int maxLocals) {
            this.maxStack = maxStack;
            this.maxLocals = maxLocals;
        }

        int pos() { return out.size(); }

        void op(int opcode) { out.write(opcode); }

        void u1(int v) { out.write(v); }

        void u2(int v) { out.write(v >>> 8); out.write(v); }

        void mark(Label l) {
            if (l.pos >= 0) throw new IllegalStateException("label placed twice");
            l.pos = pos();
        }

        void iconst(int v) {
            if (v >= -1 && v <= 5) op(ICONST_0 + v);
            else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) { op(BIPUSH); u1(v); }
            else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) { op(SIPUSH); u2(v); }
            else {
                int idx = integer(v);
                if (idx <= 0xff) { op(LDC); u1(idx); } else { op(LDC_W); u2(idx); }
            }
        }

        void iload(int local) { op(ILOAD); u1(local); }

        void istore(int local) { op(ISTORE); u1(local); }

        void aload(int local) { op(ALOAD); u1(local); }

        void invoke(int opcode, String owner, String name, String desc) {
            op(opcode);
            u2(methodRef(owner, name, desc));
        }

        /** A branch (if*, goto) to a label, placed now or later. */
        void branch(int opcode, Label target) {
            int at = pos();
            op(opcode);
            fixups.add(new int[] {at, pos()});
            fixupLabels.add(target);
            u2(0);
        }

        void resolve() {
            byte[] b = out.toByteArray();
            if (b.length > 65535) throw new IllegalStateException("method too large: " + b.length + " bytes");
            for (int i = 0; i < fixups.size(); i++) {
                int[] f = fixups.get(i);
                Label l = fixupLabels.get(i);
                if (l.pos < 0) throw new IllegalStateException("unplaced label");
                int delta = l.pos - f[0];
                if (delta < Short.MIN_VALUE || delta > Short.MAX_VALUE)
                    throw new IllegalStateException("branch offset out of range: " + delta);
                b[f[1]] = (byte) (delta >>> 8);
                b[f[1] + 1] = (byte) delta;
            }
            resolved = b;
        }

        byte[] bytes() { return resolved; }
    }
}
