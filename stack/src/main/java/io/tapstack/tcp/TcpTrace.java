package io.tapstack.tcp;

import static io.tapstack.wire.SeqNum.lt;

/**
 * The per-connection trace (like Linux's {@code tcp_probe} tracepoint and {@code ss -ti}, over
 * time): one fixed-size record per send, retransmission, ACK, SACK block, RTO, tail loss probe,
 * recovery entry/exit, undo and spurious RTO, each with the sender's state at that moment.
 *
 * <p>Opt-in ({@link Tcp#trace(int, TcpTraceSink)} by port, {@link TcpConnection#trace(TcpTraceSink)}
 * per connection): an untraced connection pays one null check per event. A traced one owns a
 * ring of {@link #CAPACITY} records in one {@code long[]}, allocated when tracing starts; when it
 * is full, and when the connection ends or the host flushes, the records go to the
 * {@link TcpTraceSink} in one call. Recording allocates nothing.
 *
 * <p>Record layout ({@link #WORDS} longs): time (loop clock, ns), event ({@link Event#ordinal}),
 * seq, end (a segment's or SACK block's range; for an ACK the ACK number in both), SND.UNA,
 * SND.MAX, cwnd, ssthresh, pipe (outstanding − SACKed − marked lost, RFC 6675 §4 / RFC 8985),
 * SRTT, RTTVAR, RTO (ns), the peer's window (SND.WND), in flight (SND.MAX − SND.UNA).
 * Sequence numbers are relative to the ISS, as unsigned 32-bit values.
 */
public final class TcpTrace {
    /** What a record reports. The ordinal is the code written to trace files: append only. */
    public enum Event {
        SEND, RETRANSMIT, ACK, SACK, RTO, TLP, RECOVERY_ENTER, RECOVERY_EXIT, UNDO, SPURIOUS_RTO
    }

    /** Longs per record. */
    public static final int WORDS = 14;
    /** Records per ring (one sink call per this many records). */
    public static final int CAPACITY = 4096;

    public static final int TIME = 0;
    public static final int EVENT = 1;
    public static final int SEQ = 2;
    public static final int END = 3;
    public static final int UNA = 4;
    public static final int MAX = 5;
    public static final int CWND = 6;
    public static final int SSTHRESH = 7;
    public static final int PIPE = 8;
    public static final int SRTT = 9;
    public static final int RTTVAR = 10;
    public static final int RTO = 11;
    public static final int SND_WND = 12;
    public static final int IN_FLIGHT = 13;

    private static final Event[] EVENTS = Event.values();

    private final TcpConnection c;
    private final TcpTraceSink sink;
    private final long id;
    private final String endpoints;
    private final long[] ring = new long[CAPACITY * WORDS];
    private int count;
    private final int base;
    private long recorded;

    TcpTrace(TcpConnection c, TcpTraceSink sink, long id) {
        this.c = c;
        this.sink = sink;
        this.id = id;
        this.base = c.snd.iss;
        this.endpoints = c.endpoints();
    }

    /** The event code of a trace file back to an event, or null for an unknown code. */
    public static Event event(long code) {
        return code >= 0 && code < EVENTS.length ? EVENTS[(int) code] : null;
    }

    /** A number for this connection, unique within its {@link Tcp}. */
    public long id() {
        return id;
    }

    /** "local remote" in the form of {@code ss}. */
    public String endpoints() {
        return endpoints;
    }

    TcpTraceSink sink() {
        return sink;
    }

    /** Records made so far (including those already given to the sink). */
    public long recorded() {
        return recorded;
    }

    /** Records one event now, with the sender's state. */
    void record(Event e, int seq, int end) {
        TcpSender snd = c.snd;
        long[] r = ring;
        int o = count * WORDS;
        r[o + TIME] = c.tcp.now();
        r[o + EVENT] = e.ordinal();
        r[o + SEQ] = (seq - base) & 0xffffffffL;
        r[o + END] = (end - base) & 0xffffffffL;
        r[o + UNA] = (snd.una - base) & 0xffffffffL;
        r[o + MAX] = (snd.max - base) & 0xffffffffL;
        r[o + CWND] = c.cc.cwnd();
        r[o + SSTHRESH] = c.cc.ssthresh();
        int inFlight = lt(snd.una, snd.max) ? snd.max - snd.una : 0;
        int sacked = c.scoreboard.isEmpty() || inFlight == 0 ? 0 : c.scoreboard.sackedBytesIn(snd.una, snd.max);
        r[o + PIPE] = Math.max(0, inFlight - sacked - c.log.lostBytes());
        r[o + SRTT] = c.rtt.srtt();
        r[o + RTTVAR] = c.rtt.rttvar();
        r[o + RTO] = c.rtt.rto();
        r[o + SND_WND] = snd.wnd;
        r[o + IN_FLIGHT] = inFlight;
        recorded++;
        if (++count == CAPACITY) {
            flush();
        }
    }

    /** Gives the records held to the sink. */
    void flush() {
        if (count > 0) {
            int n = count;
            count = 0;
            sink.write(this, ring, n);
        }
    }
}
