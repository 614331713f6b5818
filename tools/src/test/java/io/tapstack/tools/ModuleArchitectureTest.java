package io.tapstack.tools;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.tapstack.arch.ArchitectureRules;
import org.junit.jupiter.api.Test;

/** DESIGN.md's rules on this module's classes: no package cycles, and what it must not depend on. */
class ModuleArchitectureTest {
    private static final JavaClasses CLASSES = ArchitectureRules.moduleClasses();

    @Test
    void noPackageCycles() {
        ArchitectureRules.noPackageCycles(CLASSES);
    }

    @Test
    void layering() {
        ArchitectureRules.noDependencyOn(CLASSES, "io.netty..", "org.openjdk.jmh..", "io.tapstack.bench..");
    }
}
