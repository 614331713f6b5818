package io.tapstack.tools;

import io.tapstack.tcp.TcpTrace;
import io.tapstack.tcp.TcpTraceFile;

import java.util.Locale;

/**
 * An SVG of one traced connection, written by hand as {@code scripts/lib/bench_charts.py} does (no
 * charting dependency): three panels over a shared time axis —
 * <ol>
 * <li>time-sequence (tcptrace's graph): sent, retransmitted and SACKed ranges, SND.UNA;</li>
 * <li>cwnd, ssthresh, in flight and pipe (KiB);</li>
 * <li>SRTT and RTO (ms, log scale), with RTOs, tail loss probes, recovery entries and undos marked.</li>
 * </ol>
 * Records are reduced to one value range per pixel column and series, so a 50 MB transfer draws
 * as quickly as a small one and the file stays small.
 */
final class TracePlot {
    private static final int W = 960;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int PH = 230;
    private static final int GAP = 50;
    private static final int TOP = 40;
    private static final int COLS = W - LEFT - RIGHT;

    private TracePlot() {
    }

    /** Per pixel column: the lowest and highest value seen (NaN when none). */
    private static final class Cols {
        final double[] lo = new double[COLS];
        final double[] hi = new double[COLS];
        final double[] last = new double[COLS];

        Cols() {
            java.util.Arrays.fill(lo, Double.NaN);
            java.util.Arrays.fill(hi, Double.NaN);
            java.util.Arrays.fill(last, Double.NaN);
        }

        void add(int x, double a, double b) {
            lo[x] = Double.isNaN(lo[x]) ? Math.min(a, b) : Math.min(lo[x], Math.min(a, b));
            hi[x] = Double.isNaN(hi[x]) ? Math.max(a, b) : Math.max(hi[x], Math.max(a, b));
            last[x] = b;
        }

        double max() {
            double m = 0;
            for (double v : hi) {
                if (!Double.isNaN(v)) {
                    m = Math.max(m, v);
                }
            }
            return m;
        }
    }

    static String svg(TcpTraceFile.Connection c) {
        int n = c.count();
        long t0 = n > 0 ? c.get(0, TcpTrace.TIME) : 0;
        long t1 = n > 0 ? c.get(n - 1, TcpTrace.TIME) : 1;
        double span = Math.max(1, t1 - t0);
        Cols sent = new Cols();
        Cols rexmit = new Cols();
        Cols sacked = new Cols();
        Cols una = new Cols();
        Cols cwnd = new Cols();
        Cols ssth = new Cols();
        Cols flight = new Cols();
        Cols pipe = new Cols();
        Cols srtt = new Cols();
        Cols rto = new Cols();
        StringBuilder marks = new StringBuilder();
        int[] markCount = new int[TcpTrace.Event.values().length];
        double maxCwnd = 0;
        for (int i = 0; i < n; i++) {
            maxCwnd = Math.max(maxCwnd, c.get(i, TcpTrace.CWND));
        }
        for (int i = 0; i < n; i++) {
            int x = (int) Math.min(COLS - 1, (c.get(i, TcpTrace.TIME) - t0) / span * (COLS - 1));
            double mb = 1 << 20;
            double seq = c.get(i, TcpTrace.SEQ) / mb;
            double end = c.get(i, TcpTrace.END) / mb;
            TcpTrace.Event e = c.event(i);
            if (e == null) {
                continue;
            }
            switch (e) {
                case SEND -> sent.add(x, seq, end);
                case RETRANSMIT -> rexmit.add(x, seq, end);
                case SACK -> {
                    if (c.get(i, TcpTrace.SEQ) >= c.get(i, TcpTrace.UNA)) {
                        sacked.add(x, seq, end); // D-SACK blocks below SND.UNA are left out
                    }
                }
                case RTO, TLP, RECOVERY_ENTER, UNDO, SPURIOUS_RTO -> {
                    markCount[e.ordinal()]++;
                    marks.append(mark(e, LEFT + x));
                }
                default -> { }
            }
            double una0 = c.get(i, TcpTrace.UNA) / mb;
            una.add(x, una0, una0);
            double kib = 1024;
            cwnd.add(x, c.get(i, TcpTrace.CWND) / kib, c.get(i, TcpTrace.CWND) / kib);
            long ss = c.get(i, TcpTrace.SSTHRESH);
            if (ss < Integer.MAX_VALUE / 2) {
                double v = Math.min(ss, 2 * maxCwnd) / kib;
                ssth.add(x, v, v);
            }
            flight.add(x, c.get(i, TcpTrace.IN_FLIGHT) / kib, c.get(i, TcpTrace.IN_FLIGHT) / kib);
            pipe.add(x, c.get(i, TcpTrace.PIPE) / kib, c.get(i, TcpTrace.PIPE) / kib);
            if (c.get(i, TcpTrace.SRTT) > 0) {
                srtt.add(x, c.get(i, TcpTrace.SRTT) / 1e6, c.get(i, TcpTrace.SRTT) / 1e6);
            }
            rto.add(x, c.get(i, TcpTrace.RTO) / 1e6, c.get(i, TcpTrace.RTO) / 1e6);
        }
        int h = TOP + 3 * PH + 2 * GAP + 50;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", W, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">TCP trace, connection %d: %s (%d records, %.3f s)</text>%n",
                LEFT, c.id(), esc(c.endpoints()), n, span / 1e9));
        // panel 1: time-sequence
        int y1 = TOP;
        double seqMax = Math.max(1e-6, Math.max(Math.max(sent.max(), rexmit.max()), una.max()));
        s.append(frame(y1, "sequence (MiB from ISS)", 0, seqMax, false));
        s.append(line(una, y1, 0, seqMax, false, "#38a169"));
        s.append(bars(sent, y1, 0, seqMax, false, "#2b6cb0", 1));
        s.append(bars(sacked, y1, 0, seqMax, false, "#9f7aea", 1));
        s.append(bars(rexmit, y1, 0, seqMax, false, "#e53e3e", 2));
        s.append(legend(y1, new String[] {"sent", "retransmitted", "SACKed", "SND.UNA (ACKed)"},
                new String[] {"#2b6cb0", "#e53e3e", "#9f7aea", "#38a169"}));
        // panel 2: windows
        int y2 = TOP + PH + GAP;
        double wMax = Math.max(1, Math.max(Math.max(cwnd.max(), ssth.max()), flight.max()));
        s.append(frame(y2, "KiB", 0, wMax, false));
        s.append(line(ssth, y2, 0, wMax, false, "#dd6b20"));
        s.append(line(flight, y2, 0, wMax, false, "#a0aec0"));
        s.append(line(pipe, y2, 0, wMax, false, "#38a169"));
        s.append(line(cwnd, y2, 0, wMax, false, "#2b6cb0"));
        s.append(legend(y2, new String[] {"cwnd", "ssthresh", "in flight", "pipe"},
                new String[] {"#2b6cb0", "#dd6b20", "#a0aec0", "#38a169"}));
        // panel 3: RTT, RTO and events
        int y3 = TOP + 2 * (PH + GAP);
        double rMin = 0.01;
        double rMax = Math.max(1, Math.max(srtt.max(), rto.max())) * 1.5;
        s.append(frame(y3, "ms (log)", rMin, rMax, true));
        s.append(line(rto, y3, rMin, rMax, true, "#e53e3e"));
        s.append(line(srtt, y3, rMin, rMax, true, "#2b6cb0"));
        s.append("<g transform=\"translate(0,").append(y3).append(")\">").append(marks).append("</g>\n");
        s.append(legend(y3, new String[] {
                "SRTT", "RTO", "RTO fired (" + markCount[TcpTrace.Event.RTO.ordinal()] + ")",
                "TLP (" + markCount[TcpTrace.Event.TLP.ordinal()] + ")",
                "recovery (" + markCount[TcpTrace.Event.RECOVERY_ENTER.ordinal()] + ")",
                "undo (" + (markCount[TcpTrace.Event.UNDO.ordinal()] + markCount[TcpTrace.Event.SPURIOUS_RTO.ordinal()]) + ")"},
                new String[] {"#2b6cb0", "#e53e3e", "#c53030", "#dd6b20", "#718096", "#38a169"}));
        // time axis
        int ya = y3 + PH;
        for (int k = 0; k <= 5; k++) {
            int x = LEFT + k * (COLS - 1) / 5;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.3g</text>%n", x, ya + 14,
                    span / 1e9 * k / 5));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (s)</text>%n",
                LEFT + COLS / 2, ya + 30));
        s.append("</svg>\n");
        return s.toString();
    }

    private static String mark(TcpTrace.Event e, int x) {
        String colour = switch (e) {
            case RTO -> "#c53030";
            case TLP -> "#dd6b20";
            case RECOVERY_ENTER -> "#718096";
            default -> "#38a169";
        };
        int y0 = switch (e) {
            case RTO -> 0;
            case TLP -> 10;
            case RECOVERY_ENTER -> 20;
            default -> 30;
        };
        return String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1\"/>", x,
                PH - 40 + y0, x, PH - 32 + y0, colour);
    }

    private static double y(double v, double lo, double hi, boolean log) {
        double f = log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
                : (v - lo) / (hi - lo);
        return PH - Math.max(0, Math.min(1, f)) * PH;
    }

    private static String frame(int top, String label, double lo, double hi, boolean log) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<g transform=\"translate(0,%d)\"><rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" "
                + "fill=\"none\" stroke=\"#444\"/>%n", top, LEFT, COLS, PH));
        for (int k = 0; k <= 4; k++) {
            double v = log ? Math.pow(10, Math.log10(lo) + (Math.log10(hi) - Math.log10(lo)) * k / 4) : lo + (hi - lo) * k / 4;
            double yy = y(v, lo, hi, log);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>%n", LEFT, yy, LEFT + COLS, yy, LEFT - 4, yy + 4, v));
        }
        s.append(String.format(Locale.ROOT, "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text></g>%n",
                PH / 2, esc(label)));
        return s.toString();
    }

    private static String bars(Cols c, int top, double lo, double hi, boolean log, String colour, int width) {
        StringBuilder p = new StringBuilder();
        for (int x = 0; x < COLS; x++) {
            if (!Double.isNaN(c.lo[x])) {
                double a = y(c.lo[x], lo, hi, log);
                double b = y(c.hi[x], lo, hi, log);
                p.append(String.format(Locale.ROOT, "M%d %.1fV%.1f", LEFT + x, a, Math.min(b, a - 1)));
            }
        }
        return p.length() == 0 ? "" : String.format(Locale.ROOT,
                "<path transform=\"translate(0,%d)\" stroke=\"%s\" stroke-width=\"%d\" fill=\"none\" d=\"%s\"/>%n", top, colour, width, p);
    }

    private static String line(Cols c, int top, double lo, double hi, boolean log, String colour) {
        StringBuilder p = new StringBuilder();
        double prev = Double.NaN;
        for (int x = 0; x < COLS; x++) {
            if (!Double.isNaN(c.lo[x])) {
                // a step: the value holds until the next record (nothing changes between events),
                // then the column's range and where it ended, so sawtooths keep their teeth
                if (Double.isNaN(prev)) {
                    p.append('M').append(LEFT + x).append(' ').append(fmt(y(c.hi[x], lo, hi, log)));
                } else {
                    p.append('L').append(LEFT + x).append(' ').append(fmt(prev));
                    p.append('L').append(LEFT + x).append(' ').append(fmt(y(c.hi[x], lo, hi, log)));
                }
                p.append('L').append(LEFT + x).append(' ').append(fmt(y(c.lo[x], lo, hi, log)));
                prev = y(c.last[x], lo, hi, log);
                p.append('L').append(LEFT + x).append(' ').append(fmt(prev));
            }
        }
        return p.length() == 0 ? "" : String.format(Locale.ROOT,
                "<path transform=\"translate(0,%d)\" stroke=\"%s\" stroke-width=\"1.2\" fill=\"none\" d=\"%s\"/>%n", top, colour, p);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String legend(int top, String[] names, String[] colours) {
        StringBuilder s = new StringBuilder();
        int x = LEFT;
        for (int i = 0; i < names.length; i++) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, top - 14, colours[i], x + 14, top - 5, esc(names[i])));
            x += 24 + 7 * names[i].length();
        }
        return s.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
