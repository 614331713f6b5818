package io.tapstack.netty;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.tapstack.arch.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** DESIGN.md's rules on this module's classes: no package cycles, one logging API, and what it must not depend on. */
class ModuleArchitectureTest {
    private static final JavaClasses CLASSES = ArchitectureRules.moduleClasses();

    @Test
    void noPackageCycles() {
        ArchitectureRules.noPackageCycles(CLASSES);
    }

    @Test
    void layering() {
        ArchitectureRules.noDependencyOn(CLASSES, "picocli..", "org.openjdk.jmh..", "org.objectweb.asm..", "io.tapstack.capture..", "io.tapstack.service..", "io.tapstack.tools..");
    }

    @Test
    void oneLoggingApi() {
        ArchitectureRules.oneLoggingApi(CLASSES);
    }
}
