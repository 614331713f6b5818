package io.tapstack.capture;

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
        ArchitectureRules.noDependencyOn(CLASSES, "com.sun.jna..", "io.netty..", "picocli..", "org.openjdk.jmh..", "com.fasterxml..", "io.tapstack.service..", "io.tapstack.tools..");
    }

    @Test
    void oneLoggingApi() {
        ArchitectureRules.oneLoggingApi(CLASSES);
    }
}
