package io.tapstack.capture;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/**
 * Runs every class file that {@link BpfJit} generates during this module's tests through ASM's
 * {@link CheckClassAdapter} (structure, then each method's bytecode with the data-flow verifier)
 * before the JVM defines it; a finding fails the test that compiled the program. Registered for
 * every test class by extension auto-detection ({@code junit-platform.properties} and
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}).
 */
public final class VerifyJitClasses implements BeforeAllCallback {
    static final AtomicLong VERIFIED = new AtomicLong();

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    static void install() {
        BpfJit.inspector = VerifyJitClasses::check;
    }

    /** Throws AssertionError with ASM's report if the class does not verify. */
    static void check(byte[] classFile) {
        StringWriter report = new StringWriter();
        try (PrintWriter pw = new PrintWriter(report)) {
            CheckClassAdapter.verify(new ClassReader(classFile), BpfJit.class.getClassLoader(), false, pw);
        } catch (RuntimeException e) {
            throw new AssertionError("generated BPF class is malformed", e);
        }
        if (report.getBuffer().length() > 0) {
            throw new AssertionError("generated BPF class does not verify:\n" + report);
        }
        VERIFIED.incrementAndGet();
    }
}
