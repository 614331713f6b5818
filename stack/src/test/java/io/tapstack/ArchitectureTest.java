package io.tapstack;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.tapstack.arch.ArchitectureRules;
import org.junit.jupiter.api.Test;

/**
 * The architecture rules of DESIGN.md on the stack module's classes (not its tests): no package
 * cycles, one logging API, and no dependency beyond the JDK.
 */
class ArchitectureTest {
    private static final JavaClasses STACK = ArchitectureRules.moduleClasses();

    @Test
    void noPackageCycles() {
        ArchitectureRules.noPackageCycles(STACK);
    }

    @Test
    void onlyTheJdk() {
        // DESIGN.md "Modules": stack is pure Java; native access, Netty, the CLI, benchmarks,
        // bytecode generation, JSON and the applications live in other modules.
        ArchitectureRules.noDependencyOn(STACK, "com.sun.jna..", "io.netty..", "picocli..", "org.openjdk.jmh..",
                "org.objectweb.asm..", "com.fasterxml..", "org.slf4j..", "io.tapstack.capture..", "io.tapstack.service..");
    }

    @Test
    void oneLoggingApi() {
        ArchitectureRules.oneLoggingApi(STACK);
    }
}
