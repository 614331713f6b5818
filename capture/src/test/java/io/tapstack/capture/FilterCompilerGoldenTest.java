package io.tapstack.capture;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The compiler's output, pinned: {@code capture/compiled-golden.txt} holds a fixed list of
 * expressions (the tcpdump corpus {@code capture/expressions.txt} and FilterVerdictIT's {@code it-expressions.txt}), each with
 * the program (tcpdump {@code -d} listing) or the error, optimised and unoptimised, as
 * {@link FilterCompiler} produced them before it was split into its generator classes. Any change
 * of a generated instruction, of an error message or its column fails here.
 *
 * <p>A deliberate change of the compiler's output regenerates the file (then review its diff):
 * {@code mvn -o -q -pl capture test -Dtest=FilterCompilerGoldenTest -Dgolden.update=true}.
 */
class FilterCompilerGoldenTest {
    static final String RESOURCE = "/capture/compiled-golden.txt";
    static final Path SOURCE = Path.of("src/test/resources/capture/compiled-golden.txt");
    static final String HEAD = "=== ";

    record Entry(String expr, String body) {}

    /** The program or the error, with and without the optimiser. */
    static String render(String expr) {
        StringBuilder sb = new StringBuilder();
        for (boolean optimise : new boolean[] {true, false}) {
            sb.append(optimise ? "optimised:" : "unoptimised:").append('\n');
            try {
                sb.append(FilterCompiler.compile(expr, FilterCompiler.DEFAULT_SNAPLEN, 0, optimise).toDump());
            } catch (FilterSyntaxException e) {
                sb.append("error: ").append(e.getMessage()).append(" [").append(e.token()).append("]\n");
            }
        }
        return sb.toString();
    }

    static List<Entry> read(String text) {
        List<Entry> out = new ArrayList<>();
        String expr = null;
        StringBuilder body = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.startsWith(HEAD)) {
                if (expr != null) out.add(new Entry(expr, body.toString()));
                expr = line.substring(HEAD.length());
                body.setLength(0);
            } else if (expr != null && !line.isEmpty()) {
                body.append(line).append('\n');
            }
        }
        if (expr != null) out.add(new Entry(expr, body.toString()));
        return out;
    }

    @Test
    void everyProgramAndErrorIsAsRecorded() throws IOException {
        String text;
        try (var in = FilterCompilerGoldenTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE);
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<Entry> entries = read(text);
        if (Boolean.getBoolean("golden.update")) {
            StringBuilder sb = new StringBuilder();
            for (Entry e : entries) sb.append(HEAD).append(e.expr()).append('\n').append(render(e.expr())).append('\n');
            Files.writeString(SOURCE, sb.toString(), StandardCharsets.UTF_8);
            return;
        }
        assertTrue(entries.size() >= 100, "golden expressions: " + entries.size());
        int programs = 0, errors = 0;
        List<String> differ = new ArrayList<>();
        for (Entry e : entries) {
            String now = render(e.expr());
            if (!now.equals(e.body())) differ.add(e.expr() + "\n--- recorded\n" + e.body() + "--- now\n" + now);
            if (e.body().contains("error: ")) errors++;
            else programs++;
        }
        assertTrue(programs > 300 && errors > 20, "corpus covers programs (" + programs + ") and errors (" + errors + ")");
        assertEquals(List.of(), differ, differ.size() + " of " + entries.size() + " expressions compile differently");
    }
}
