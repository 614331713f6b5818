package io.tapstack.tools;

import io.tapstack.tcp.TcpTrace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tapstack trace}: a trace file in the documented format printed as text and CSV and drawn as SVG. */
class TraceCommandTest {
    /** One record: time (ns), event, seq, end, una, max, cwnd, ssthresh, pipe, srtt, rttvar, rto, snd_wnd, in flight. */
    private static long[] rec(long t, TcpTrace.Event e, long seq, long end, long una, long max, long cwnd, long ssthresh) {
        return new long[] {t, e.ordinal(), seq, end, una, max, cwnd, ssthresh, max - una, 1_500_000, 500_000, 201_000_000,
                65535, max - una};
    }

    /** The file format of TcpTraceFile: magic, version, then blocks of (stream, id, endpoints, count, records). */
    static Path write(Path dir) throws Exception {
        long inf = Integer.MAX_VALUE;
        List<long[]> recs = List.of(
                rec(1_000_000, TcpTrace.Event.SEND, 1, 1449, 1, 1, 14480, inf),
                rec(1_010_000, TcpTrace.Event.SEND, 1449, 2897, 1, 1449, 14480, inf),
                rec(2_000_000, TcpTrace.Event.ACK, 1449, 1449, 1449, 2897, 14480, inf),
                rec(2_100_000, TcpTrace.Event.SEND, 2897, 4345, 1449, 2897, 14480, inf),
                rec(2_200_000, TcpTrace.Event.SEND, 4345, 5793, 1449, 4345, 14480, inf),
                rec(3_000_000, TcpTrace.Event.SACK, 4345, 5793, 1449, 5793, 14480, inf),
                rec(3_000_000, TcpTrace.Event.RECOVERY_ENTER, 1449, 5793, 1449, 5793, 10136, 10136),
                rec(3_010_000, TcpTrace.Event.RETRANSMIT, 1449, 2897, 1449, 5793, 10136, 10136),
                rec(4_000_000, TcpTrace.Event.ACK, 5793, 5793, 5793, 5793, 10136, 10136),
                rec(4_000_000, TcpTrace.Event.RECOVERY_EXIT, 5793, 5793, 5793, 5793, 10136, 10136),
                rec(9_000_000, TcpTrace.Event.TLP, 5793, 7241, 5793, 7241, 10136, 10136),
                rec(300_000_000, TcpTrace.Event.RTO, 5793, 7241, 5793, 7241, 1448, 5068));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write("TAPTRACE".getBytes(StandardCharsets.US_ASCII));
        out.writeInt(1);
        byte[] ep = "10.0.0.2:80 10.0.0.1:40000".getBytes(StandardCharsets.UTF_8);
        for (int block = 0; block < 2; block++) { // two blocks of one connection: read as one
            out.writeInt(0);
            out.writeLong(7);
            out.writeShort(ep.length);
            out.write(ep);
            List<long[]> part = block == 0 ? recs.subList(0, 5) : recs.subList(5, recs.size());
            out.writeInt(part.size());
            for (long[] r : part) {
                for (long w : r) {
                    out.writeLong(w);
                }
            }
        }
        Path f = dir.resolve("t.trace");
        Files.write(f, bytes.toByteArray());
        return f;
    }

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            System.out.flush();
            return new Outcome(code, buf.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void printsEveryRecordAsTextAndCsv(@TempDir Path dir) throws Exception {
        Path f = write(dir);
        Outcome o = run("trace", f.toString());
        assertEquals(0, o.code, o.err);
        List<String> lines = o.out.lines().toList();
        assertEquals("# conn 7 10.0.0.2:80 10.0.0.1:40000: 12 records", lines.get(0));
        assertEquals(2 + 12, lines.size(), o.out);
        assertTrue(lines.get(2).matches("\\s+0\\.000 send\\s+1\\s+1449\\s+1\\s+1\\s+14480\\s+inf\\s+0\\s+1\\.500\\s+0\\.500\\s+201\\.0\\s+65535\\s+0"),
                lines.get(2));
        assertTrue(lines.get(9).matches("\\s+2\\.010 retransmit\\s+1449\\s+2897 .*"), lines.get(9));
        assertTrue(lines.get(13).matches("\\s+299\\.000 rto .*"), lines.get(13));

        Outcome csv = run("trace", "--csv", f.toString());
        List<String> cl = csv.out.lines().toList();
        assertEquals(13, cl.size());
        assertTrue(cl.get(0).startsWith("conn,time_ms,event,seq,end,"), cl.get(0));
        assertEquals("7,0.010,send,1449,2897,1,1449,14480,inf,1448,1.500,0.500,201.0,65535,1448", cl.get(2));
    }

    @Test
    void plotsTheConnectionAsSvg(@TempDir Path dir) throws Exception {
        Path f = write(dir);
        Path svg = dir.resolve("t.svg");
        Outcome o = run("trace", "--plot", svg.toString(), f.toString());
        assertEquals(0, o.code, o.err);
        String s = Files.readString(svg);
        javax.xml.parsers.DocumentBuilderFactory xml = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        // the SVG names its DTD; parse without fetching it (no network in tests)
        xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        org.w3c.dom.Document doc = xml.newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        assertEquals(TracePlot.WIDTH, Double.parseDouble(doc.getDocumentElement().getAttribute("width")));
        assertTrue(s.contains("cwnd") && s.contains("ssthresh") && s.contains("in flight") && s.contains("SRTT")
                && s.contains("RTO"), "series named");
        // each loss/recovery event is counted in the legend (the file has one of each)
        assertTrue(s.contains("retransmitted (1)") && s.contains("RTO fired (1)") && s.contains("TLP (1)")
                && s.contains("recovery (fast retransmit / RACK) (1)") && s.contains("undo (0)"), "events counted");
        assertTrue(doc.getElementsByTagName("path").getLength() > 10, "lines drawn");
    }

    @Test
    void plotsTheConnectionAsPngWithBothPanelsDrawn(@TempDir Path dir) throws Exception {
        Path f = write(dir);
        Path png = dir.resolve("t.png");
        Outcome o = run("trace", "--plot", png.toString(), f.toString());
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.contains("plotted connection 7"), o.out);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(TracePlot.WIDTH, img.getWidth());
        assertEquals(TracePlot.HEIGHT, img.getHeight());
        // where the panels are: the same chart laid out again
        org.jfree.chart.ChartRenderingInfo info = new org.jfree.chart.ChartRenderingInfo();
        TracePlot.chart(io.tapstack.tcp.TcpTraceFile.read(f).get(0)).createBufferedImage(TracePlot.WIDTH, TracePlot.HEIGHT, info);
        org.jfree.chart.plot.PlotRenderingInfo plots = info.getPlotInfo();
        assertEquals(3, plots.getSubplotCount());
        // a line of the window panel (cwnd: blue) and of the timer panel (RTO: red) is in the file's pixels
        // (blue: cwnd; red: RTO; antialiased lines blend with the white, so by hue, not exact colour)
        assertTrue(pixels(img, plots.getSubplotInfo(0).getDataArea(), true) > 50, "cwnd drawn");
        assertTrue(pixels(img, plots.getSubplotInfo(1).getDataArea(), false) > 50, "RTO drawn");
        assertEquals(0, pixels(img, new java.awt.Rectangle(0, 0, TracePlot.WIDTH, 20), true) + pixels(img,
                new java.awt.Rectangle(0, 0, TracePlot.WIDTH, 20), false), "the title strip holds no line");
    }

    @Test
    void plotIsTheSameAsTracePlot(@TempDir Path dir) throws Exception {
        Path f = write(dir);
        Path viaTrace = dir.resolve("a.png");
        Path viaPlot = dir.resolve("b.png");
        assertEquals(0, run("trace", "--plot", viaTrace.toString(), f.toString()).code);
        Outcome o = run("plot", f.toString(), "-o", viaPlot.toString());
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.contains("plotted connection 7"), o.out);
        java.awt.image.BufferedImage a = javax.imageio.ImageIO.read(viaTrace.toFile());
        java.awt.image.BufferedImage b = javax.imageio.ImageIO.read(viaPlot.toFile());
        assertEquals(a.getWidth(), b.getWidth());
        assertEquals(a.getHeight(), b.getHeight());
        // without -o: a one-line usage error; a missing file: a one-line failure
        assertEquals(Main.EXIT_USAGE, run("plot", f.toString()).code);
        Outcome missing = run("plot", dir.resolve("none").toString(), "-o", viaPlot.toString());
        assertEquals(Main.EXIT_FAILURE, missing.code);
        assertEquals(1, missing.err.strip().lines().count(), missing.err);
    }

    /** Clearly blue (or red) pixels inside {@code area}. */
    private static int pixels(java.awt.image.BufferedImage img, java.awt.geom.Rectangle2D area, boolean blue) {
        int n = 0;
        for (int y = (int) area.getMinY(); y < (int) area.getMaxY(); y++) {
            for (int x = (int) area.getMinX(); x < (int) area.getMaxX(); x++) {
                int p = img.getRGB(x, y);
                int r = p >> 16 & 255;
                int g = p >> 8 & 255;
                int b = p & 255;
                if (blue ? b > r + 60 && b > g + 30 : r > g + 60 && r > b + 60) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void aLiveTraceNeedsAnOutputAndAPort() {
        Outcome noW = run("trace", "--host", "tap9");
        assertEquals(Main.EXIT_USAGE, noW.code);
        assertEquals(1, noW.err.strip().lines().count(), noW.err);
        assertTrue(noW.err.contains("--host needs -w FILE"), noW.err);
        Outcome badPort = run("trace", "--host", "tap9", "-w", "x", "--port", "70000");
        assertEquals(Main.EXIT_USAGE, badPort.code);
        assertTrue(badPort.err.contains("--port must be 1..65535 or all"), badPort.err);
        Outcome nothing = run("trace");
        assertEquals(Main.EXIT_USAGE, nothing.code);
        assertTrue(nothing.err.contains("give a trace FILE"), nothing.err);
        Outcome negative = run("trace", "--host", "tap9", "-w", "x", "--count", "-1");
        assertEquals(Main.EXIT_USAGE, negative.code);
    }

    @Test
    void aMissingOrForeignFileIsOneLine(@TempDir Path dir) throws Exception {
        Outcome o = run("trace", dir.resolve("none").toString());
        assertEquals(Main.EXIT_FAILURE, o.code);
        assertTrue(o.err.strip().startsWith("tapstack: no such file"), o.err);
        Path bad = dir.resolve("bad");
        Files.writeString(bad, "hello world, not a trace");
        Outcome b = run("trace", bad.toString());
        assertEquals(Main.EXIT_FAILURE, b.code);
        assertEquals(1, b.err.strip().lines().count(), b.err);
        assertTrue(b.err.contains("not a tapstack trace file"), b.err);
        Path cut = dir.resolve("cut");
        byte[] whole = Files.readAllBytes(write(dir));
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 3));
        Outcome t = run("trace", cut.toString());
        assertEquals(Main.EXIT_FAILURE, t.code);
        assertTrue(t.err.contains("truncated trace file"), t.err);
        Outcome c = run("trace", "--conn", "9", write(dir).toString());
        assertTrue(c.err.contains("no connection 9"), c.err);
    }
}
