package io.tapstack;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The architecture rules of DESIGN.md, checked on the stack module's classes (not its tests):
 * no package cycles, and no dependency beyond the JDK.
 */
class ArchitectureTest {
    private static final String ROOT = "io.tapstack";

    private static final JavaClasses STACK = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages(ROOT);

    /**
     * One slice per package below {@code io.tapstack} with its sub-packages (like
     * {@code io.tapstack.(*)..}: {@code tcp.cc} belongs to {@code tcp}), and one more for the
     * root package itself ({@code NetStack}, {@code EventLoop}), which {@code (*)..} would leave
     * out: a protocol that reached back to the stack object would then go unnoticed.
     */
    private static final SliceAssignment PACKAGES = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            String p = c.getPackageName();
            if (p.equals(ROOT)) {
                return SliceIdentifier.of("io.tapstack (root)");
            }
            if (!p.startsWith(ROOT + ".")) {
                return SliceIdentifier.ignore();
            }
            int dot = p.indexOf('.', ROOT.length() + 1);
            return SliceIdentifier.of(dot < 0 ? p : p.substring(0, dot));
        }

        @Override
        public String getDescription() {
            return "the packages io.tapstack.(*).. and the root package io.tapstack";
        }
    };

    @Test
    void noPackageCycles() {
        slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(STACK);
    }

    @Test
    void onlyTheJdk() {
        // DESIGN.md "Modules": stack is pure Java; native access, Netty, the CLI, benchmarks and
        // bytecode generation live in other modules.
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "com.sun.jna..", "io.netty..", "picocli..", "org.openjdk.jmh..", "org.objectweb.asm..")
                .check(STACK);
    }
}
