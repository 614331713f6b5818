package io.tapstack.arch;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.library.GeneralCodingRules;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import java.nio.file.Files;
import java.nio.file.Path;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The architecture rules of DESIGN.md, shared by every module's architecture test (this class
 * travels in the stack's test-jar): no package cycles, one logging API, and each module's own
 * list of what it must not depend on.
 */
public final class ArchitectureRules {
    private static final String ROOT = "io.tapstack";

    private ArchitectureRules() {
    }

    /** The classes a module compiled ({@code target/classes} of the module being tested), not its tests or jars. */
    public static JavaClasses moduleClasses() {
        Path classes = Path.of("target", "classes");
        if (!Files.isDirectory(classes)) {
            throw new AssertionError("no compiled classes at " + classes.toAbsolutePath());
        }
        JavaClasses c = new ClassFileImporter().importPath(classes);
        if (c.isEmpty()) {
            throw new AssertionError("no classes imported from " + classes.toAbsolutePath());
        }
        return c;
    }

    /**
     * One slice per package below {@code io.tapstack} with its sub-packages (like
     * {@code io.tapstack.(*)..}: {@code tcp.cc} belongs to {@code tcp}), and one more for the
     * root package itself ({@code NetStack}, {@code EventLoop}), which {@code (*)..} would leave
     * out: a protocol that reached back to the stack object would then go unnoticed.
     */
    public static final SliceAssignment PACKAGES = new SliceAssignment() {
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

    public static void noPackageCycles(JavaClasses classes) {
        slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(classes);
    }

    /**
     * Library code reports through {@link System.Logger} (the one logging API; no dependency beyond
     * the JDK): no {@code System.out}/{@code System.err}, no {@code java.util.logging} directly. The
     * command line decides what a user sees.
     */
    public static void oneLoggingApi(JavaClasses classes) {
        GeneralCodingRules.NO_CLASSES_SHOULD_ACCESS_STANDARD_STREAMS.check(classes);
        GeneralCodingRules.NO_CLASSES_SHOULD_USE_JAVA_UTIL_LOGGING.check(classes);
    }

    /** Nothing in {@code classes} depends on classes in any of {@code packages} (ArchUnit patterns). */
    public static void noDependencyOn(JavaClasses classes, String... packages) {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(packages).check(classes);
    }
}
