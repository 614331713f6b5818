package io.tapstack.udp;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketQueue;
import io.tapstack.context.IpOutput;
import io.tapstack.context.StackContext;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.UdpHeader;

import java.io.IOException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.ByteBuffer;

/**
 * A UDP socket on the event loop (non-blocking; loop thread only). Bind, connect, send and
 * receive datagrams with their source; received datagrams go to a {@link Handler} if one is set,
 * otherwise into a bounded receive queue read with {@link #receive(ByteBuffer)}.
 *
 * <p>A hard ICMP error about a datagram sent on a connected socket is kept and thrown by the
 * next {@link #receive} (a {@link java.net.PortUnreachableException} for port unreachable),
 * like a Linux socket without IP_RECVERR; a handler gets it through {@link Handler#onError}.
 */
public final class UdpSocket implements AutoCloseable {
    /** Largest UDP payload: 65535 − 8 (UDP) − 20 (IPv4); over IPv6 it is 65535 − 8. */
    public static final int MAX_PAYLOAD_V4 = 65507;
    public static final int MAX_PAYLOAD_V6 = 65527;

    /** Direct delivery on the loop thread; the buffer region is valid only during the call. */
    public interface Handler {
        void onDatagram(UdpSocket s, ByteBuffer buf, int off, int len, long srcHi, long srcLo, int srcPort);

        default void onError(UdpSocket s, IOException e) {
        }
    }

    private final Udp udp;
    private final StackContext ctx;
    private final IpOutput ip;
    private final PacketQueue queue;
    private final int queueBytesLimit;
    private int queueBytes;
    private Handler handler;
    private IOException pendingError;
    private boolean closed;
    private boolean addrLocked;

    // binding (maintained by Udp)
    long localHi;
    long localLo;
    boolean localSpecific;
    boolean v4Only;
    int localPort;
    UdpSocket nextOnPort;
    // connection
    boolean connected;
    long remoteHi;
    long remoteLo;
    int remotePort;
    // source of the last datagram returned by receive()
    private long lastSrcHi;
    private long lastSrcLo;
    private int lastSrcPort;
    private int lastLength;
    private long drops;

    UdpSocket(Udp udp) {
        this.udp = udp;
        this.ctx = udp.ctx;
        this.ip = udp.ip;
        this.queue = new PacketQueue(udp.config.udpRecvQueuePackets);
        this.queueBytesLimit = udp.config.udpRecvQueueBytes;
    }

    public void setHandler(Handler h) {
        this.handler = h;
    }

    /**
     * Binds to a local address and port. {@code addr} null or {@code ::} is the dual-stack
     * wildcard; {@code 0.0.0.0} is the IPv4-only wildcard; port 0 picks an ephemeral port.
     */
    public UdpSocket bind(IpAddr addr, int port) throws IOException {
        checkOpen();
        if (localPort != 0) {
            throw new SocketException("already bound");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        boolean specific = addr != null && !addr.isAny();
        boolean v4Only = addr != null && addr.isV4() && addr.isAny();
        long hi = specific ? addr.hi() : 0;
        long lo = specific ? addr.lo() : 0;
        if (specific && !ip.isLocalAddress(hi, lo)) {
            throw new java.net.BindException("cannot assign requested address " + addr);
        }
        udp.bind(this, hi, lo, specific, v4Only, port);
        addrLocked = specific;
        return this;
    }

    /**
     * Sets the default destination and accepts datagrams from it only; the local address is
     * fixed to the source used towards it (as Linux does on connect).
     */
    public UdpSocket connect(IpAddr dst, int port) throws IOException {
        checkOpen();
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (localPort == 0) {
            bind(null, 0);
        }
        if (!localSpecific) {
            IpAddr src = ip.sourceFor(dst);
            if (src == null) {
                throw new NoRouteToHostException("no route to " + dst);
            }
            localHi = src.hi();
            localLo = src.lo();
            localSpecific = true;
        }
        remoteHi = dst.hi();
        remoteLo = dst.lo();
        remotePort = port;
        connected = true;
        pendingError = null;
        return this;
    }

    /** Forgets the peer (connect with AF_UNSPEC). */
    public void disconnect() {
        connected = false;
        remotePort = 0;
        remoteHi = remoteLo = 0;
        if (!addrLocked) {
            localSpecific = false;
            localHi = localLo = 0;
        }
    }

    /** Sends to the connected peer. */
    public int send(ByteBuffer data) throws IOException {
        if (!connected) {
            throw new java.net.SocketException("not connected");
        }
        return sendTo(data, remoteHi, remoteLo, remotePort);
    }

    public int sendTo(ByteBuffer data, IpAddr dst, int port) throws IOException {
        return sendTo(data, dst.hi(), dst.lo(), port);
    }

    /**
     * Sends one datagram (the bytes between position and limit; the position advances). Returns
     * the bytes sent, or 0 when the stack had no buffer (the datagram is dropped and counted, as
     * UDP may). Datagrams larger than the path MTU leave fragmented.
     */
    public int sendTo(ByteBuffer data, long dstHi, long dstLo, int port) throws IOException {
        int n = sendTo(data, data.position(), data.remaining(), dstHi, dstLo, port);
        if (n > 0) {
            data.position(data.position() + n);
        }
        return n;
    }

    /** Sends {@code len} bytes at absolute offset {@code off} of {@code data} (no allocation). */
    public int sendTo(ByteBuffer data, int off, int len, long dstHi, long dstLo, int port) throws IOException {
        checkOpen();
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        boolean v4 = IpAddr.isV4Mapped(dstHi, dstLo);
        if (len > (v4 ? MAX_PAYLOAD_V4 : MAX_PAYLOAD_V6)) {
            throw new SocketException("Message too long");
        }
        if (localPort == 0) {
            bind(null, 0);
        }
        if (localSpecific && IpAddr.isV4Mapped(localHi, localLo) != v4) {
            throw new SocketException("address family of " + IpAddr.of(dstHi, dstLo) + " does not match the socket's");
        }
        if (!localSpecific && v4Only && !v4) {
            throw new SocketException("IPv4-only socket cannot send to " + IpAddr.of(dstHi, dstLo));
        }
        long srcHi = localHi;
        long srcLo = localLo;
        if (!localSpecific) {
            IpAddr src = ip.sourceFor(IpAddr.of(dstHi, dstLo));
            if (src == null && v4 && (int) dstLo == -1) {
                // Limited broadcast before the host has an address (a DHCP client, RFC 2131
                // §4.1: "0.0.0.0" as source), as Linux sends it.
                src = IpAddr.V4_ANY;
            }
            if (src == null) {
                udp.counters().inc(UdpCounter.TX_NO_ROUTE);
                throw new NoRouteToHostException("no route to " + IpAddr.of(dstHi, dstLo));
            }
            srcHi = src.hi();
            srcLo = src.lo();
        }
        int total = UdpHeader.HEADER_LEN + len;
        PacketBuf p = ctx.allocate(total);
        if (p == null) {
            udp.counters().inc(UdpCounter.TX_NO_BUFFER);
            return 0;
        }
        int at = p.append(total);
        p.buf().put(at + UdpHeader.HEADER_LEN, data, off, len);
        UdpHeader.emit(p.buf(), at, localPort, port, total);
        p.l4 = at;
        UdpHeader.fillChecksum(p.buf(), at, total,
                IpOutput.pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, Udp.PROTOCOL, total));
        udp.counters().inc(UdpCounter.TX);
        udp.counters().add(UdpCounter.TX_BYTES, len);
        if (!ip.ipOutput(p, srcHi, srcLo, dstHi, dstLo, Udp.PROTOCOL, 0, 0, false)) {
            udp.counters().inc(UdpCounter.TX_NO_ROUTE);
            throw new NoRouteToHostException("cannot send to " + IpAddr.of(dstHi, dstLo));
        }
        return len;
    }

    /**
     * Copies the next queued datagram into {@code dst} (truncating if it does not fit) and returns
     * its full length, or -1 when none is queued. Throws a pending ICMP error first.
     */
    public int receive(ByteBuffer dst) throws IOException {
        checkOpen();
        IOException e = pendingError;
        if (e != null) {
            pendingError = null;
            throw e;
        }
        PacketBuf p = queue.poll();
        if (p == null) {
            return -1;
        }
        queueBytes -= p.length();
        int len = p.length();
        int n = Math.min(len, dst.remaining());
        dst.put(dst.position(), p.buf(), p.start(), n);
        dst.position(dst.position() + n);
        readSource(p);
        lastLength = len;
        p.release();
        return len;
    }

    /** Datagrams waiting in the receive queue. */
    public int available() {
        return queue.size();
    }

    public boolean hasPendingError() {
        return pendingError != null;
    }

    public IpAddr lastSourceAddress() {
        return IpAddr.of(lastSrcHi, lastSrcLo);
    }

    public int lastSourcePort() {
        return lastSrcPort;
    }

    public int lastLength() {
        return lastLength;
    }

    /** Datagrams dropped because the receive queue was full. */
    public long drops() {
        return drops;
    }

    public int localPort() {
        return localPort;
    }

    /** The local address (the unspecified address when bound to a wildcard). */
    public IpAddr localAddress() {
        if (!localSpecific) {
            return v4Only ? IpAddr.V4_ANY : IpAddr.V6_ANY;
        }
        return IpAddr.of(localHi, localLo);
    }

    public boolean isConnected() {
        return connected;
    }

    public IpAddr remoteAddress() {
        return connected ? IpAddr.of(remoteHi, remoteLo) : null;
    }

    public int remotePort() {
        return remotePort;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (localPort != 0) {
            udp.unbind(this);
        }
        queue.clear();
        queueBytes = 0;
    }

    private void checkOpen() throws SocketException {
        if (closed) {
            throw new SocketException("socket closed");
        }
    }

    // ---- from Udp ----

    /** Takes a datagram whose window is the payload (l3 and l4 set). Returns false if dropped. */
    boolean deliver(PacketBuf p, int srcPort) {
        Handler h = handler;
        if (h != null) {
            int l3 = p.l3;
            boolean v4 = (p.buf().get(l3) >>> 4 & 0xf) == 4;
            long hi = v4 ? 0 : p.buf().getLong(l3 + Ipv6Header.SRC);
            long lo = v4 ? IpAddr.mappedLo(p.buf().getInt(l3 + Ipv4Header.SRC)) : p.buf().getLong(l3 + Ipv6Header.SRC + 8);
            try {
                h.onDatagram(this, p.buf(), p.start(), p.length(), hi, lo, srcPort);
            } finally {
                p.release();
            }
            return true;
        }
        // Bounded in datagrams and bytes (like SO_RCVBUF): the excess is dropped and counted.
        if (queueBytes + p.length() > queueBytesLimit || !queue.offer(p)) {
            drops++;
            p.release();
            return false;
        }
        queueBytes += p.length();
        return true;
    }

    void error(IOException e) {
        Handler h = handler;
        if (h != null) {
            h.onError(this, e);
        } else {
            pendingError = e;
        }
    }

    private void readSource(PacketBuf p) {
        int l3 = p.l3;
        if ((p.buf().get(l3) >>> 4 & 0xf) == 4) {
            lastSrcHi = 0;
            lastSrcLo = IpAddr.mappedLo(p.buf().getInt(l3 + Ipv4Header.SRC));
        } else {
            lastSrcHi = p.buf().getLong(l3 + Ipv6Header.SRC);
            lastSrcLo = p.buf().getLong(l3 + Ipv6Header.SRC + 8);
        }
        lastSrcPort = p.buf().getShort(p.l4 + UdpHeader.SRC_PORT) & 0xffff;
    }
}
