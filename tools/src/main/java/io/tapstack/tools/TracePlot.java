package io.tapstack.tools;

import io.tapstack.tcp.TcpTrace;
import io.tapstack.tcp.TcpTraceFile;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A traced connection drawn with JFreeChart ({@code tapstack trace FILE --plot OUT.png|OUT.svg}):
 * three panels over one time axis (ms from the first record) — cwnd, ssthresh and in flight
 * (bytes) with the loss and recovery events as markers at the cwnd of their moment; SRTT and RTO
 * (ms, log scale); and the sequence space (SND.UNA, SND.MAX, retransmitted segments), like a
 * time-sequence graph. PNG through {@link ChartUtils} (headless), SVG through JFreeSVG.
 */
final class TracePlot {
    static final int WIDTH = 1100;
    static final int HEIGHT = 900;

    private TracePlot() {
    }

    /** Writes the chart as PNG or SVG, by {@code out}'s extension (anything but .svg is PNG). */
    static void write(TcpTraceFile.Connection c, Path out) throws IOException {
        System.setProperty("java.awt.headless", "true");
        JFreeChart chart = chart(c);
        if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".svg")) {
            SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
            chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
            Files.writeString(out, g.getSVGElement(), StandardCharsets.UTF_8); // a standalone <svg>, no DOCTYPE to fetch
        } else {
            ChartUtils.saveChartAsPNG(out.toFile(), chart, WIDTH, HEIGHT);
        }
    }

    /** The marked events: what a marker means in the legend, and its event(s). */
    private enum Mark {
        RETRANSMIT("retransmitted", new Color(0xe5, 0x3e, 0x3e), TcpTrace.Event.RETRANSMIT),
        RECOVERY("recovery (fast retransmit / RACK)", new Color(0xdd, 0x6b, 0x20), TcpTrace.Event.RECOVERY_ENTER),
        TLP("TLP", new Color(0x80, 0x5a, 0xd5), TcpTrace.Event.TLP),
        RTO("RTO fired", new Color(0xc5, 0x30, 0x30), TcpTrace.Event.RTO),
        UNDO("undo", new Color(0x38, 0xa1, 0x69), TcpTrace.Event.UNDO, TcpTrace.Event.SPURIOUS_RTO);

        final String label;
        final Color colour;
        final TcpTrace.Event[] events;

        Mark(String label, Color colour, TcpTrace.Event... events) {
            this.label = label;
            this.colour = colour;
            this.events = events;
        }

        static Mark of(TcpTrace.Event e) {
            for (Mark m : values()) {
                for (TcpTrace.Event x : m.events) {
                    if (x == e) {
                        return m;
                    }
                }
            }
            return null;
        }
    }

    static JFreeChart chart(TcpTraceFile.Connection c) {
        long t0 = c.count() > 0 ? c.get(0, TcpTrace.TIME) : 0;
        XYSeries cwnd = new XYSeries("cwnd", true, true);
        XYSeries ssthresh = new XYSeries("ssthresh", true, true);
        XYSeries inFlight = new XYSeries("in flight", true, true);
        XYSeries srtt = new XYSeries("SRTT", true, true);
        XYSeries rto = new XYSeries("RTO", true, true);
        XYSeries una = new XYSeries("SND.UNA", true, true);
        XYSeries max = new XYSeries("SND.MAX", true, true);
        XYSeries retrans = new XYSeries("retransmitted seq", true, true);
        Mark[] marks = Mark.values();
        XYSeries[] marked = new XYSeries[marks.length];
        int[] counts = new int[marks.length];
        for (int i = 0; i < c.count(); i++) {
            double t = (c.get(i, TcpTrace.TIME) - t0) / 1e6;
            long ss = c.get(i, TcpTrace.SSTHRESH);
            cwnd.add(t, c.get(i, TcpTrace.CWND));
            if (ss < Integer.MAX_VALUE / 2) { // "infinite" before the first loss: not drawn
                ssthresh.add(t, ss);
            }
            inFlight.add(t, c.get(i, TcpTrace.IN_FLIGHT));
            if (c.get(i, TcpTrace.SRTT) > 0) {
                srtt.add(t, c.get(i, TcpTrace.SRTT) / 1e6);
            }
            rto.add(t, c.get(i, TcpTrace.RTO) / 1e6);
            una.add(t, c.get(i, TcpTrace.UNA));
            max.add(t, c.get(i, TcpTrace.MAX));
            TcpTrace.Event e = c.event(i);
            if (e == TcpTrace.Event.RETRANSMIT) {
                retrans.add(t, c.get(i, TcpTrace.SEQ));
            }
            Mark m = e == null ? null : Mark.of(e);
            if (m != null) {
                if (marked[m.ordinal()] == null) {
                    marked[m.ordinal()] = new XYSeries(m.label, true, true);
                }
                marked[m.ordinal()].add(t, c.get(i, TcpTrace.CWND));
                counts[m.ordinal()]++;
            }
        }

        XYSeriesCollection window = new XYSeriesCollection();
        window.addSeries(cwnd);
        window.addSeries(ssthresh);
        window.addSeries(inFlight);
        XYPlot top = new XYPlot(window, null, axis("bytes"), steps(new Color(0x2b, 0x6c, 0xb0), new Color(0x71, 0x80, 0x96),
                new Color(0x38, 0xa1, 0x69)));
        XYSeriesCollection events = new XYSeriesCollection();
        XYLineAndShapeRenderer markers = new XYLineAndShapeRenderer(false, true);
        Shape[] shapes = {new Rectangle2D.Double(-2, -2, 4, 4), triangle(), new Ellipse2D.Double(-4, -4, 8, 8),
            new Rectangle2D.Double(-5, -5, 10, 10), new Ellipse2D.Double(-5, -5, 10, 10)};
        for (Mark m : marks) {
            XYSeries s = marked[m.ordinal()];
            if (s == null) {
                s = new XYSeries(m.label, true, true);
            }
            s.setKey(m.label + " (" + counts[m.ordinal()] + ")");
            int k = events.getSeriesCount();
            events.addSeries(s);
            markers.setSeriesPaint(k, m.colour);
            markers.setSeriesShape(k, shapes[m.ordinal()]);
        }
        top.setDataset(1, events);
        top.setRenderer(1, markers);

        XYSeriesCollection timers = new XYSeriesCollection();
        timers.addSeries(srtt);
        timers.addSeries(rto);
        LogAxis ms = new LogAxis("ms (log)"); // SRTT of 0.05 ms beside an RTO of 200 ms
        ms.setSmallestValue(0.001);
        ms.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
        XYPlot middle = new XYPlot(timers, null, ms, steps(new Color(0x31, 0x82, 0xce), new Color(0xc5, 0x30, 0x30)));

        XYSeriesCollection seq = new XYSeriesCollection();
        seq.addSeries(una);
        seq.addSeries(max);
        XYPlot bottom = new XYPlot(seq, null, axis("sequence (from ISS)"), steps(new Color(0x2f, 0x85, 0x5a),
                new Color(0x2b, 0x6c, 0xb0)));
        XYSeriesCollection rx = new XYSeriesCollection();
        rx.addSeries(retrans);
        XYLineAndShapeRenderer rxMarks = new XYLineAndShapeRenderer(false, true);
        rxMarks.setSeriesPaint(0, Mark.RETRANSMIT.colour);
        rxMarks.setSeriesShape(0, new Rectangle2D.Double(-2, -2, 4, 4));
        bottom.setDataset(1, rx);
        bottom.setRenderer(1, rxMarks);

        NumberAxis time = new NumberAxis("time (ms)");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
        plot.setGap(12);
        plot.add(top, 3);
        plot.add(middle, 2);
        plot.add(bottom, 2);
        for (XYPlot p : new XYPlot[] {top, middle, bottom}) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(new Color(0xe2, 0xe8, 0xf0));
            p.setRangeGridlinePaint(new Color(0xe2, 0xe8, 0xf0));
        }
        JFreeChart chart = new JFreeChart("conn " + c.id() + "  " + c.endpoints() + "  (" + c.count() + " records)",
                JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static NumberAxis axis(String label) {
        NumberAxis a = new NumberAxis(label);
        a.setAutoRangeIncludesZero(true);
        return a;
    }

    private static XYStepRenderer steps(Color... colours) {
        XYStepRenderer r = new XYStepRenderer();
        for (int i = 0; i < colours.length; i++) {
            r.setSeriesPaint(i, colours[i]);
            r.setSeriesStroke(i, new BasicStroke(1.5f));
        }
        return r;
    }

    private static Shape triangle() {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(0, -5);
        p.lineTo(5, 4);
        p.lineTo(-5, 4);
        p.closePath();
        return p;
    }
}
