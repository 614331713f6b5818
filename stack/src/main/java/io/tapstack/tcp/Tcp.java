package io.tapstack.tcp;

import io.tapstack.context.IpOutput;
import io.tapstack.context.StackContext;
import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.ip.IcmpVerdict;
import io.tapstack.ip.IpMeta;
import io.tapstack.ip.IpProtocolHandler;
import io.tapstack.loop.Timer;
import io.tapstack.socket.AddressInUse;
import io.tapstack.socket.TcpException;
import io.tapstack.socket.Unreachable;
import io.tapstack.stats.Counters;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ecn;
import io.tapstack.wire.SeqNum;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * TCP for one host (RFC 9293): segment demultiplexing, the connection table,
 * listeners, ISNs (RFC 6528), ephemeral ports (RFC 6056), SYN cookies (RFC 4987, {@link SynCookies}), RSTs for
 * segments that match no connection (RFC 9293 §3.10.7.1), and the readiness-event dispatch.
 * The per-connection protocol lives in {@link TcpConnection}.
 *
 * <p>Everything runs on the stack's loop thread. The host ({@code NetStack}) builds one and registers
 * it as IP protocol 6 for IPv4 and IPv6; TCP sees of the host only a {@link StackContext} (time,
 * timers, buffers, counters) and an {@link IpOutput} (IP output, source selection, PMTU, GSO).
 */
public final class Tcp implements IpProtocolHandler {
    /** The IP protocol number (RFC 9293 §3.1). */
    public static final int PROTOCOL = 6;

    private static final System.Logger LOG = System.getLogger("io.tapstack.tcp");
    /** The defaults, only read: {@link TcpConnection} takes its own copy. */
    /** The default options, shared read-only by connections that set none (never changed). */
    static final TcpSocketOptions NO_OPTIONS = new TcpSocketOptions();

    private final StackContext stack;
    private final IpOutput ip;
    final TcpConfig config;
    final Counters<TcpCounter> counters;
    private final TcpHeader hdr = new TcpHeader();
    private final Segment seg = new Segment();
    private final SipHash hash;
    private final SynCookies cookies;
    private final long tsSeed;
    private final ConnectionTable table;
    /** TIME-WAIT pairs whose connection object has gone (issue 11): small records, no objects. */
    private final TimeWaitTable timeWait;
    /** The loop's memory budget (issue 11): connections, SYN queue, TIME-WAIT and rings are charged to it. */
    final MemoryBudget memory;
    /** The loop's free send and receive rings (taken on demand, returned when drained). */
    final RingPool rings;
    /** The loop's free segment-log arrays (held by a connection only while data is in flight). */
    final SegmentLog.Pool logPool;
    /** The input state machine and the segment builder: stateless, one each per stack, the connection passed in. */
    final TcpInput segmentInput = new TcpInput(this);
    final SegmentWriter segmentWriter = new SegmentWriter(this);
    /** The configuration's RTO bounds as one object for every connection (remade if the configuration changes). */
    private RttEstimator.Bounds rtoBounds;
    private final TcpListener[] listeners = new TcpListener[65536];
    /** RFC 6056 §3.3.3 Algorithm 3's table of per-bucket increments. */
    private final short[] portTable = new short[256];
    private int timeWaitCount;
    private int established;
    // RFC 5961 §7 challenge-ACK limit: a count per one-second window
    private long challengeWindowStart;
    private int challengeCount;
    // event dispatch
    private TcpConnection notifyHead;
    private TcpConnection notifyTail;
    private TcpListener lnotifyHead;
    private TcpListener lnotifyTail;
    private boolean dispatching;
    // per-connection traces (issue 10): which new connections to trace, and those traced now
    private TcpTraceSink traceSink;
    private int tracePort;
    private long traceIds;
    private final List<TcpConnection> traced = new ArrayList<>();

    /** Built by the host, which registers it as IP protocol 6 for IPv4 and IPv6. */
    public Tcp(StackContext stack, IpOutput ip, TcpConfig config) {
        this.stack = stack;
        this.ip = ip;
        this.config = config;
        this.counters = stack.stats().register("tcp", TcpCounter.class);
        SecureRandom r = new SecureRandom();
        this.hash = new SipHash(r.nextLong(), r.nextLong());
        this.table = new ConnectionTable(r.nextLong());
        this.timeWait = new TimeWaitTable(this, r.nextLong());
        this.memory = stack.memory();
        // idle rings are not charged: keep them to an eighth of the budget
        this.rings = new RingPool(Math.min(config.ringPoolBytes, memory.limit() / 8), memory);
        int logCap = SegmentLog.capacityFor(config.sendBufferSize);
        this.logPool = new SegmentLog.Pool(logCap, (int) Math.max(1, Math.min(4096, config.ringPoolBytes / (17L * logCap + 64))));
        this.rings.onIdle(this::armPoolTrim);
        this.tsSeed = r.nextLong();
        this.cookies = new SynCookies(this, hash);
    }

    public TcpConfig config() {
        return config;
    }

    public Counters<TcpCounter> counters() {
        return counters;
    }

    // ---------------------------------------------------------------- application API

    /** Listens on {@code addr} (null or any = wildcard, both families) and {@code port}. */
    public TcpListener listen(IpAddr addr, int port, int backlog, TcpSocketOptions options) throws AddressInUse {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        TcpListener l = new TcpListener(this, addr, port, backlog <= 0 ? config.defaultBacklog : backlog, options);
        for (TcpListener o = listeners[port]; o != null; o = o.nextOnPort) {
            if (o.wildcard || l.wildcard || (o.addrHi == l.addrHi && o.addrLo == l.addrLo)) {
                throw new AddressInUse("port " + port + " is already listened on (" + o + ")");
            }
        }
        l.nextOnPort = listeners[port];
        listeners[port] = l;
        return l;
    }

    public TcpListener listen(int port) throws AddressInUse {
        return listen(null, port, 0, null);
    }

    void unlisten(TcpListener l) {
        TcpListener prev = null;
        for (TcpListener o = listeners[l.port]; o != null; prev = o, o = o.nextOnPort) {
            if (o == l) {
                if (prev == null) {
                    listeners[l.port] = o.nextOnPort;
                } else {
                    prev.nextOnPort = o.nextOnPort;
                }
                return;
            }
        }
    }

    /** The RTO bounds of {@link TcpConfig}, shared by the connections made while they stay as they are. */
    RttEstimator.Bounds rtoBounds() {
        RttEstimator.Bounds b = rtoBounds;
        if (b == null || b.minRto() != config.minRtoNanos || b.maxRto() != config.maxRtoNanos) {
            b = new RttEstimator.Bounds(config.minRtoNanos, config.maxRtoNanos);
            rtoBounds = b;
        }
        return b;
    }

    /**
     * Active open (RFC 9293 §3.10.1): sends a SYN and returns the connection in SYN-SENT; the
     * handler hears {@code onConnected} or {@code onClosed(ConnectionRefused/TimedOut/…)}.
     */
    public TcpConnection connect(IpAddr remote, int port, TcpSocketOptions options, TcpHandler handler) throws TcpException {
        if (port <= 0 || port > 65535 || remote.isAny()) {
            throw new IllegalArgumentException("bad destination " + remote + ":" + port);
        }
        TcpSocketOptions o = options == null ? NO_OPTIONS : options; // read here, copied by the connection
        IpAddr local = o.localAddress != null && !o.localAddress.isAny() ? o.localAddress : ip.sourceFor(remote);
        if (local == null) {
            counters.inc(TcpCounter.DROP_NO_ROUTE);
            throw new Unreachable("no route to " + remote);
        }
        if (table.size() >= config.maxConnections) {
            throw new AddressInUse("connection table full");
        }
        int lport = o.localPort;
        if (lport != 0) {
            if (inUse(local.hi(), local.lo(), lport, remote.hi(), remote.lo(), port)) {
                throw new AddressInUse(local + ":" + lport + " -> " + remote + ":" + port + " exists");
            }
        } else {
            lport = ephemeralPort(local.hi(), local.lo(), remote.hi(), remote.lo(), port);
            if (lport == 0) {
                throw new AddressInUse("no ephemeral port free towards " + remote + ":" + port);
            }
        }
        TcpConnection c = new TcpConnection(this, local.hi(), local.lo(), lport, remote.hi(), remote.lo(), port, o, o != NO_OPTIONS);
        c.handler = handler;
        c.accepted = true;
        insert(c);
        memory.charge(MemoryBudget.Kind.CONNECTIONS, MemoryBudget.CONNECTION_BYTES); // the application's own: not refused
        counters.inc(TcpCounter.ACTIVE_OPENS);
        c.openActive();
        dispatch();
        return c;
    }

    public TcpConnection connect(IpAddr remote, int port, TcpHandler handler) throws TcpException {
        return connect(remote, port, null, handler);
    }

    /** Snapshots of every connection, for {@code ss}-like display. */
    public List<TcpInfo> connections() {
        List<TcpInfo> l = new ArrayList<>();
        table.forEach(c -> l.add(c.info()));
        return l;
    }

    /** Current listeners. */
    public List<TcpListener> listeners() {
        List<TcpListener> l = new ArrayList<>();
        for (TcpListener x : listeners) {
            for (; x != null; x = x.nextOnPort) {
                l.add(x);
            }
        }
        return l;
    }

    public int connectionCount() {
        return table.size();
    }

    /**
     * Traces every connection established from now on whose local or remote port is {@code port}
     * ({@code -1}: all) into {@code sink} (see {@link TcpTrace}); a null sink stops tracing new
     * ones. Loop thread only.
     */
    public void trace(int port, TcpTraceSink sink) {
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("trace port " + port + " out of range");
        }
        tracePort = port;
        traceSink = sink;
    }

    /** Gives every traced connection's pending records to its sink (e.g. before the host stops). */
    public void flushTraces() {
        for (TcpConnection c : traced) {
            c.trace.flush();
        }
    }

    /**
     * Stops tracing into {@code sink}: connections traced into it give it their last records and
     * are traced no more, and new ones are no longer traced into it (a live trace whose reader
     * went away). Loop thread only.
     */
    public void untrace(TcpTraceSink sink) {
        if (traceSink == sink) {
            traceSink = null;
        }
        for (int i = traced.size() - 1; i >= 0; i--) {
            TcpConnection c = traced.get(i);
            if (c.trace.sink() == sink) {
                endTrace(c);
            }
        }
    }

    /** A connection became established: traced if the filter says so. */
    void maybeTrace(TcpConnection c) {
        if (traceSink != null && c.trace == null
                && (tracePort == -1 || c.localPort == tracePort || c.remotePort == tracePort)) {
            startTrace(c, traceSink);
        }
    }

    void startTrace(TcpConnection c, TcpTraceSink sink) {
        c.trace = new TcpTrace(c, sink, ++traceIds);
        traced.add(c);
    }

    /** The traced connection ended: its last records go to the sink. */
    void endTrace(TcpConnection c) {
        c.trace.flush();
        c.trace = null;
        traced.remove(c);
    }

    /** TIME-WAIT pairs held now: records ({@link #timeWaitRecordCount()}) and full connections. */
    public int timeWaitCount() {
        return timeWaitCount;
    }

    /** TIME-WAIT pairs held as small records (issue 11), each {@link #TIME_WAIT_RECORD_BYTES} of heap. */
    public int timeWaitRecordCount() {
        return timeWait.size();
    }

    /** Records the TIME-WAIT arrays hold before they grow (they shrink back when the last expires). */
    int timeWaitCapacity() {
        return timeWait.capacity();
    }

    /** Heap bytes per TIME-WAIT record, for a memory budget to charge (see {@link TimeWaitTable#RECORD_BYTES}). */
    public static final int TIME_WAIT_RECORD_BYTES = TimeWaitTable.RECORD_BYTES;

    /** Bytes of send and receive rings that connections hold now (data memory in use). */
    public long ringBytesInUse() {
        return rings.inUseBytes();
    }

    /** Bytes of drained rings kept for reuse. */
    public long ringBytesIdle() {
        return rings.idleBytes();
    }

    /** Once a second while drained rings or log arrays wait: the untouched half goes (see {@link RingPool}). */
    private final Timer poolTrim = new Timer(this::trimPools);
    private static final long POOL_TRIM_NANOS = 1_000_000_000L;

    private void armPoolTrim() {
        if (!poolTrim.isScheduled()) {
            schedule(poolTrim, now() + POOL_TRIM_NANOS);
        }
    }

    private void trimPools(long now) {
        rings.trim();
        logPool.trim();
        if (rings.idleBytes() > 0 || logPool.free() > 0) {
            schedule(poolTrim, now + POOL_TRIM_NANOS);
        }
    }

    /** Rings allocated so far (the rest of the rings connections took were reused). */
    public long ringsCreated() {
        return rings.created();
    }

    // ---------------------------------------------------------------- input

    @Override
    public void input(PacketBuf p, IpMeta meta) {
        try {
            counters.inc(TcpCounter.RX_SEGMENTS);
            process(p, meta);
        } finally {
            p.release();
        }
        dispatch();
    }

    private void process(PacketBuf p, IpMeta m) {
        // RFC 1122 §4.2.3.10 / RFC 9293 §3.9.2.2: no TCP to broadcast or multicast addresses
        if (m.dstBroadcastOrMulticast) {
            counters.inc(TcpCounter.DROP_BROADCAST);
            return;
        }
        ByteBuffer b = p.buf();
        int off = p.start();
        int len = p.length();
        hdr.wrap(b, off, len);
        TcpHeader.Error err = hdr.check();
        if (err != TcpHeader.Error.NONE) {
            counters.inc(err == TcpHeader.Error.TRUNCATED ? TcpCounter.DROP_TRUNCATED : TcpCounter.DROP_BAD_OFFSET);
            return;
        }
        if (!m.checksumValid && !TcpChecksum.verify(b, off, len, m.srcHi, m.srcLo, m.dstHi, m.dstLo)) {
            counters.inc(TcpCounter.DROP_BAD_CHECKSUM);
            return;
        }
        int sport = hdr.srcPort();
        int dport = hdr.dstPort();
        if (sport == 0 || dport == 0) {
            counters.inc(TcpCounter.DROP_BAD_PORT);
            return;
        }
        Segment s = seg;
        if (hdr.optionsLength() > 0) {
            if (!s.opts.parse(b, hdr.optionsOffset(), hdr.optionsLength())) {
                counters.inc(TcpCounter.DROP_BAD_OPTIONS);
                return;
            }
            if (s.opts.badKnownLength) {
                counters.inc(TcpCounter.DROP_BAD_OPTION_LENGTH_IGNORED);
            }
        } else {
            s.opts.clear();
        }
        s.buf = b;
        s.seq = hdr.seq();
        s.ack = hdr.ack();
        s.flags = hdr.flags();
        s.window = hdr.window();
        s.dataOff = hdr.payloadOffset();
        s.dataLen = hdr.payloadLength();
        s.ttl = m.ttl;
        s.ecn = m.tos & Ecn.MASK;

        TcpConnection c = lookup(m.dstHi, m.dstLo, dport, m.srcHi, m.srcLo, sport);
        if (c != null && c.state == TcpState.TIME_WAIT && s.syn() && !s.hasAck() && !s.rst() && c.acceptsNewSyn(s)) {
            // RFC 6191 §2 / RFC 1122 §4.2.2.13: a new SYN may reopen a TIME-WAIT connection
            counters.inc(TcpCounter.TIME_WAIT_REUSED);
            c.terminate(null, false);
            c = null;
        }
        if (c != null) {
            c.segmentArrives(s);
            timeWaitToRecord(c);
            return;
        }
        int tw = timeWait.find(m.dstHi, m.dstLo, dport, m.srcHi, m.srcLo, sport);
        if (tw >= 0 && timeWait.segmentArrives(tw, s)) {
            return;
        }
        TcpListener l = findListener(m.dstHi, m.dstLo, dport);
        if (l != null) {
            listenInput(l, s, m, dport, sport);
            return;
        }
        counters.inc(TcpCounter.DROP_NO_SOCKET);
        resetFor(s, m.dstHi, m.dstLo, dport, m.srcHi, m.srcLo, sport);
    }

    private TcpListener findListener(long hi, long lo, int port) {
        TcpListener wild = null;
        for (TcpListener l = listeners[port]; l != null; l = l.nextOnPort) {
            if (l.wildcard) {
                wild = l;
            } else if (l.addrHi == hi && l.addrLo == lo) {
                return l;
            }
        }
        return wild;
    }

    /** RFC 9293 §3.10.7.2: a segment for a LISTEN socket. */
    private void listenInput(TcpListener l, Segment s, IpMeta m, int lport, int rport) {
        if (s.rst()) {
            return; // "an incoming RST should be ignored"
        }
        if (s.hasAck()) {
            if (!s.syn() && config.synCookies && cookies.acceptAck(l, s, m, lport, rport)) {
                return;
            }
            // "Any acknowledgment is bad if it arrives on a connection still in the LISTEN state"
            resetFor(s, m.dstHi, m.dstLo, lport, m.srcHi, m.srcLo, rport);
            return;
        }
        if (!s.syn()) {
            counters.inc(TcpCounter.DROP_NO_ACK);
            return;
        }
        if (l.acceptQueue.size() >= l.backlog) {
            // Linux: a full accept queue drops SYNs (the client retries)
            counters.inc(TcpCounter.LISTEN_OVERFLOWS);
            counters.inc(TcpCounter.DROP_ACCEPT_QUEUE_FULL);
            return;
        }
        // issue 11: at the memory limit a SYN is dropped, counted — no half-open connection, and no
        // cookie either, since its ACK would need a connection the budget cannot hold (Linux's
        // tcp_mem hard limit refuses the socket too)
        if (!memory.tryCharge(MemoryBudget.Kind.SYN_QUEUE, MemoryBudget.CONNECTION_BYTES, MemCounter.DROP_SYN)) {
            return;
        }
        if (l.synQueued >= config.synQueueSize || table.size() >= config.maxConnections) {
            memory.release(MemoryBudget.Kind.SYN_QUEUE, MemoryBudget.CONNECTION_BYTES);
            if (config.synCookies) {
                cookies.sendSynAck(s, m, lport, rport);
            } else {
                counters.inc(TcpCounter.DROP_SYN_QUEUE_FULL);
            }
            return;
        }
        TcpConnection c = new TcpConnection(this, m.dstHi, m.dstLo, lport, m.srcHi, m.srcLo, rport, l.options, false);
        c.parent = l;
        c.passive = true;
        l.synQueued++;
        insert(c);
        counters.inc(TcpCounter.PASSIVE_OPENS);
        c.openPassive(s);
    }

    /** RFC 9293 §3.10.7.1: the reply to a segment that matches no connection (never to a RST). */
    void resetFor(Segment s, long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        if (s.rst()) {
            return;
        }
        if (s.hasAck()) {
            sendReset(lHi, lLo, lport, rHi, rLo, rport, s.ack, 0, TcpHeader.RST);
        } else {
            sendReset(lHi, lLo, lport, rHi, rLo, rport, 0, s.seq + s.segLen(), TcpHeader.RST | TcpHeader.ACK_FLAG);
        }
    }

    void sendReset(long lHi, long lLo, int lport, long rHi, long rLo, int rport, int seq, int ack, int flags) {
        counters.inc(TcpCounter.RSTS_SENT);
        sendBare(lHi, lLo, lport, rHi, rLo, rport, seq, ack, flags, 0, false, 0, 0);
    }

    /**
     * A segment without data outside any connection (a RST, or a TIME-WAIT record's ACK): the
     * header, with the RFC 7323 timestamp option when {@code ts}, checksummed in software.
     */
    void sendBare(long lHi, long lLo, int lport, long rHi, long rLo, int rport, int seq, int ack, int flags,
                  int window, boolean ts, int tsVal, int tsEcr) {
        int hl = TcpHeader.MIN_LENGTH + (ts ? 12 : 0);
        PacketBuf p = stack.allocate(hl);
        if (p == null) {
            counters.inc(TcpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = p.append(hl);
        if (ts) {
            TcpOptions.writeTimestamp(p.buf(), at + TcpHeader.MIN_LENGTH, tsVal, tsEcr);
        }
        TcpHeader.emit(p.buf(), at, lport, rport, seq, ack, hl, flags, window);
        TcpChecksum.fill(p.buf(), at, hl, lHi, lLo, rHi, rLo);
        counters.inc(TcpCounter.TX_SEGMENTS);
        if (!ip.ipOutput(p, lHi, lLo, rHi, rLo, 6, 0, 0, true)) {
            counters.inc(TcpCounter.DROP_NO_ROUTE);
        }
    }

    // ---------------------------------------------------------------- ICMP errors

    @Override
    public IcmpVerdict icmpError(int version, int type, int code, int info, ByteBuffer q, int qoff, int qlen, IpMeta meta) {
        long lHi;
        long lLo;
        long rHi;
        long rLo;
        int thOff;
        if (version == 4) {
            int ihl = (q.get(qoff) & 0x0f) * 4;
            if (qlen < ihl + 8) {
                return IcmpVerdict.NO_FLOW;
            }
            lHi = 0;
            lLo = IpAddr.mappedLo(q.getInt(qoff + 12));
            rHi = 0;
            rLo = IpAddr.mappedLo(q.getInt(qoff + 16));
            thOff = qoff + ihl;
        } else {
            if (qlen < 48) {
                return IcmpVerdict.NO_FLOW;
            }
            lHi = q.getLong(qoff + 8);
            lLo = q.getLong(qoff + 16);
            rHi = q.getLong(qoff + 24);
            rLo = q.getLong(qoff + 32);
            thOff = qoff + 40;
        }
        int lport = q.getShort(thOff) & 0xffff;
        int rport = q.getShort(thOff + 2) & 0xffff;
        int seq = q.getInt(thOff + 4);
        TcpConnection c = lookup(lHi, lLo, lport, rHi, rLo, rport);
        if (c == null) {
            counters.inc(TcpCounter.ICMP_NO_CONNECTION);
            return IcmpVerdict.NO_FLOW;
        }
        // RFC 5927 §4.1: only believe errors that quote a sequence number in flight
        if (!SeqNum.inRange(seq, c.sndUna(), c.sndMax() + 1)) {
            counters.inc(TcpCounter.ICMP_OUT_OF_WINDOW);
            return IcmpVerdict.NOT_IN_FLIGHT;
        }
        boolean tooBig = (version == 4 && type == 3 && code == 4) || (version == 6 && type == 2);
        if (tooBig) {
            // RFC 1191 §6.5, RFC 8201 §4: the connection's MSS follows at once; for IPv6 the caller
            // lowers the path MTU cache only now that the error is ACCEPTED (RFC 5927 §5.2).
            c.pathMtuChanged(info);
        } else {
            boolean unreach = (version == 4 && type == 3) || (version == 6 && type == 1);
            boolean portUnreach = (version == 4 && code == 3) || (version == 6 && code == 4);
            boolean hard = unreach && ((version == 4 && code >= 2 && code <= 4) || (version == 6 && code == 4));
            c.icmpError(hard, portUnreach);
        }
        dispatch();
        return IcmpVerdict.ACCEPTED;
    }

    // ---------------------------------------------------------------- identifiers

    /** RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock. */
    int isn(long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        long f = hash.hash(lHi, lLo, rHi ^ rLo * 0x9e3779b97f4a7c15L, ((long) lport << 16) | rport);
        return (int) (stack.now() / 4000) + (int) f;
    }

    /** RFC 7323 §5.4 / §7.1: a per-address-pair offset for TSval, so values stay monotonic across connections. */
    int tsOffset(long lHi, long lLo, long rHi, long rLo) {
        return (int) hash.hash(lHi, lLo ^ tsSeed, rHi, rLo);
    }

    /** RFC 6056 §3.3.3 Algorithm 3 (double-hash port selection). Returns 0 when none is free. */
    private int ephemeralPort(long lHi, long lLo, long rHi, long rLo, int rport) {
        int low = config.ephemeralLow;
        int num = config.ephemeralHigh - low + 1;
        long f = hash.hash(lHi, lLo, rHi, rLo ^ rport);
        int offset = (int) ((f >>> 1) % num);
        int idx = (int) (hash.hash(lHi ^ 1, lLo, rHi, rLo ^ rport) & (portTable.length - 1));
        for (int count = 0; count < num; count++) {
            int port = low + (int) (((long) offset + (portTable[idx] & 0xffff) + count) % num);
            if (listeners[port] == null && !inUse(lHi, lLo, port, rHi, rLo, rport)) {
                portTable[idx] += (short) (count + 1);
                return port;
            }
        }
        return 0;
    }

    static int defaultMss(long hi, long lo) {
        // RFC 9293 §3.7.1: 536 for IPv4, 1220 for IPv6 when no MSS option arrived
        return IpAddr.isV4Mapped(hi, lo) ? 536 : 1220;
    }

    // ---------------------------------------------------------------- connection table

    TcpConnection lookup(long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        return table.lookup(lHi, lLo, lport, rHi, rLo, rport);
    }

    /** A connection or a TIME-WAIT record holds this 4-tuple. */
    private boolean inUse(long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        return lookup(lHi, lLo, lport, rHi, rLo, rport) != null || timeWait.find(lHi, lLo, lport, rHi, rLo, rport) >= 0;
    }

    /** True while the TIME-WAIT record numbered {@code serial} still holds the connection's 4-tuple. */
    boolean timeWaitRecordAlive(TcpConnection c, int serial) {
        return timeWait.alive(serial, c.localHi, c.localLo, c.localPort, c.remoteHi, c.remoteLo, c.remotePort);
    }

    /**
     * A connection in TIME-WAIT (RFC 9293 §3.10.7.4) with nothing left for the application to
     * read becomes a {@link TimeWaitTable} record for the rest of its 2·MSL: the object and its
     * parts are let go (issue 11). Otherwise it stays whole until the data is read or it is closed.
     */
    void timeWaitToRecord(TcpConnection c) {
        if (c.state != TcpState.TIME_WAIT || !c.inTable || c.rcv.ring != null || !config.timeWaitRecords) {
            return;
        }
        int serial = timeWait.add(c, c.timers.timeWaitDeadline());
        c.becameTimeWaitRecord(serial);
        counters.inc(TcpCounter.TIME_WAIT_RECORDS);
    }

    void insert(TcpConnection c) {
        table.insert(c);
    }

    void remove(TcpConnection c) {
        table.remove(c);
    }

    // ---------------------------------------------------------------- what connections need of the stack

    // The only calls into the host made on behalf of connections: time, timers, buffers, path
    // properties and IP output all pass through here.

    long now() {
        return stack.now();
    }

    void schedule(Timer t, long deadline) {
        stack.timers().schedule(t, deadline);
    }

    void cancel(Timer t) {
        stack.timers().cancel(t);
    }

    PacketBuf allocate(int size) {
        return stack.allocate(size);
    }

    int pathMtu(long hi, long lo) {
        return ip.pathMtu(hi, lo);
    }

    int ipHeaderLength(long hi, long lo) {
        return ip.ipHeaderLength(hi, lo);
    }

    int maxGsoPayload(long hi, long lo) {
        return ip.maxGsoPayload(hi, lo);
    }

    /** Hands a TCP segment to IP (protocol 6, default TTL/TOS, checksum completed as needed). */
    boolean ipOutput(PacketBuf p, long lHi, long lLo, long rHi, long rLo) {
        return ip.ipOutput(p, lHi, lLo, rHi, rLo, 6, 0, 0, true);
    }

    /**
     * {@link #ipOutput} with {@code tos} as the IPv4 TOS / IPv6 traffic class (its low two bits
     * the RFC 3168 §5 ECN field), counting a segment that found no route.
     */
    void output(PacketBuf p, long lHi, long lLo, long rHi, long rLo, int tos) {
        if (!ip.ipOutput(p, lHi, lLo, rHi, rLo, 6, 0, tos, true)) {
            counters.inc(TcpCounter.DROP_NO_ROUTE);
        }
    }

    // ---------------------------------------------------------------- accounting helpers

    void timeWaitEntered() {
        timeWaitCount++;
        counters.inc(TcpCounter.TIME_WAIT_CURRENT);
        memory.release(MemoryBudget.Kind.CONNECTIONS, MemoryBudget.CONNECTION_BYTES);
        memory.charge(MemoryBudget.Kind.TIME_WAIT, MemoryBudget.TIME_WAIT_BYTES);
    }

    /** A TIME-WAIT pair ended (a full connection's or a record's). */
    void timeWaitLeft() {
        timeWaitCount--;
        counters.add(TcpCounter.TIME_WAIT_CURRENT, -1);
        memory.release(MemoryBudget.Kind.TIME_WAIT, MemoryBudget.TIME_WAIT_BYTES);
    }

    /** A half-open connection completed its handshake: it leaves the SYN queue's share of the budget. */
    void halfOpenEstablished() {
        memory.move(MemoryBudget.Kind.SYN_QUEUE, MemoryBudget.Kind.CONNECTIONS, MemoryBudget.CONNECTION_BYTES);
    }

    /** A connection (not in TIME-WAIT) left the table: its charge goes back. */
    void connectionGone(boolean halfOpen) {
        memory.release(halfOpen ? MemoryBudget.Kind.SYN_QUEUE : MemoryBudget.Kind.CONNECTIONS, MemoryBudget.CONNECTION_BYTES);
    }

    /**
     * May receive (and send) buffers and windows grow now? False under memory pressure or at the
     * limit (issue 11): what receive-window auto-tuning asks before it raises a window.
     */
    boolean buffersMayGrow() {
        return memory.mayGrow();
    }

    /** The loop's memory budget. */
    public MemoryBudget memory() {
        return memory;
    }

    /** Called after {@link #timeWaitEntered}: more TIME-WAIT pairs than {@code maxTimeWait} allows. */
    boolean timeWaitFull() {
        return timeWaitCount > config.maxTimeWait;
    }

    void establishedChanged(int delta) {
        established += delta;
        if (established > counters.get(TcpCounter.CURR_ESTABLISHED_PEAK)) {
            counters.add(TcpCounter.CURR_ESTABLISHED_PEAK, established - counters.get(TcpCounter.CURR_ESTABLISHED_PEAK));
        }
    }

    public int establishedCount() {
        return established;
    }

    /** RFC 5961 §7: at most {@code challengeAcksPerSecond} challenge ACKs per second. */
    boolean challengeAllowed() {
        long now = stack.now();
        if (now - challengeWindowStart >= 1_000_000_000L) {
            challengeWindowStart = now;
            challengeCount = 0;
        }
        if (challengeCount >= config.challengeAcksPerSecond) {
            counters.inc(TcpCounter.CHALLENGE_ACKS_SUPPRESSED);
            return false;
        }
        challengeCount++;
        counters.inc(TcpCounter.CHALLENGE_ACKS);
        return true;
    }

    // ---------------------------------------------------------------- readiness events

    void queueNotify(TcpConnection c) {
        if (c.notifyQueued) {
            return;
        }
        c.notifyQueued = true;
        c.nextNotify = null;
        if (notifyTail == null) {
            notifyHead = notifyTail = c;
        } else {
            notifyTail.nextNotify = c;
            notifyTail = c;
        }
    }

    void queueNotify(TcpListener l) {
        if (l.notifyPending) {
            return;
        }
        l.notifyPending = true;
        l.nextNotify = null;
        if (lnotifyTail == null) {
            lnotifyHead = lnotifyTail = l;
        } else {
            lnotifyTail.nextNotify = l;
            lnotifyTail = l;
        }
    }

    /** Delivers queued readiness events; re-entrant calls return at once. */
    void dispatch() {
        if (dispatching) {
            return;
        }
        dispatching = true;
        try {
            while (notifyHead != null || lnotifyHead != null) {
                if (lnotifyHead != null) {
                    TcpListener l = lnotifyHead;
                    lnotifyHead = l.nextNotify;
                    if (lnotifyHead == null) {
                        lnotifyTail = null;
                    }
                    l.nextNotify = null;
                    l.notifyPending = false;
                    try {
                        l.fireAcceptable();
                    } catch (RuntimeException e) {
                        callbackFailed(e);
                    }
                    continue;
                }
                TcpConnection c = notifyHead;
                notifyHead = c.nextNotify;
                if (notifyHead == null) {
                    notifyTail = null;
                }
                c.nextNotify = null;
                c.notifyQueued = false;
                try {
                    c.fireEvents();
                } catch (RuntimeException e) {
                    callbackFailed(e);
                }
            }
        } finally {
            dispatching = false;
        }
    }

    private long callbackErrors;

    private void callbackFailed(RuntimeException e) {
        if (callbackErrors++ == 0) {
            LOG.log(System.Logger.Level.ERROR, "a TCP callback threw (further ones only counted)", e);
        }
    }
}
