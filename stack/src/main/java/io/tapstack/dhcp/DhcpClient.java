package io.tapstack.dhcp;

import io.tapstack.context.StackContext;
import io.tapstack.loop.Timer;
import io.tapstack.stats.Counters;
import io.tapstack.udp.Udp;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Address;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The DHCP client of one interface: the RFC 2131 §4.4 state machine (INIT, SELECTING,
 * REQUESTING, BOUND, RENEWING, REBINDING) with an ARP check of the offered address (RFC 5227
 * §2.1, PROBING here) before it is used, and a gratuitous ARP announcement once it is.
 *
 * <p>It talks UDP from port 68 (bound to 0.0.0.0 before it has an address, RFC 2131 §4.1)
 * through the stack's {@link Udp}, and changes the host only through {@link Host}. Loop thread
 * only; every wait is a timer on the stack's wheel, so tests drive it on virtual time.
 */
public final class DhcpClient {
    public static final int CLIENT_PORT = 68;
    public static final int SERVER_PORT = 67;
    private static final long SECOND = 1_000_000_000L;
    private static final byte[] PARAMS = {
        DhcpMessage.OPT_SUBNET_MASK, DhcpMessage.OPT_ROUTER, DhcpMessage.OPT_DNS, DhcpMessage.OPT_DOMAIN,
        DhcpMessage.OPT_MTU, DhcpMessage.OPT_LEASE_TIME, DhcpMessage.OPT_T1, DhcpMessage.OPT_T2
    };

    /** RFC 2131 Figure 5, with PROBING for the RFC 5227 check between REQUESTING and BOUND. */
    public enum State { STOPPED, INIT, SELECTING, REQUESTING, PROBING, BOUND, RENEWING, REBINDING }

    /** What the client changes in its host (implemented by the stack). */
    public interface Host {
        /** Configures a lease: address, connected route, default route, DNS servers. */
        void bind(Lease lease);

        /** Removes a lease's address and routes (expiry, NAK, a new address). */
        void unbind(Lease lease);

        /** Sends an ARP probe for {@code ip} (RFC 5227 §2.1.1). */
        void probe(int ip);

        /** Watches {@code ip} for a conflict (0: stop). */
        void watch(int ip, Runnable onConflict);

        /** Sends a gratuitous ARP announcement of {@code ip} (RFC 5227 §2.3). */
        void announce(int ip);
    }

    private final StackContext ctx;
    private final Udp udp;
    private final Host host;
    private final DhcpConfig config;
    private final long mac;
    private final Counters<DhcpCounter> counters;
    private final DhcpMessage msg = new DhcpMessage();
    private final ByteBuffer out = ByteBuffer.allocate(576); // RFC 2131 §2: 576 bytes reach any client
    private final byte[] clientId;
    private final Timer retx = new Timer(this::onRetransmit);
    private final Timer leaseTimer = new Timer(this::onLeaseTimer);
    private UdpSocket socket;
    private State state = State.STOPPED;
    private int xid;
    private int attempts;
    private long startedAt;
    private long requestSentAt;
    private int offered;
    private int offerServer;
    private Lease pending;
    private volatile Lease lease;
    private int probesSent;
    private int announcesLeft;
    private long lastChange;

    public DhcpClient(StackContext ctx, Udp udp, long mac, DhcpConfig config, Host host) {
        this.ctx = ctx;
        this.udp = udp;
        this.mac = mac;
        this.config = config;
        this.host = host;
        this.counters = ctx.stats().register("dhcp", DhcpCounter.class);
        // RFC 2132 §9.14: client identifier, hardware type 1 and the MAC (as Linux clients send)
        this.clientId = new byte[7];
        clientId[0] = 1;
        for (int i = 0; i < 6; i++) {
            clientId[1 + i] = (byte) (mac >>> (40 - 8 * i));
        }
    }

    public Counters<DhcpCounter> counters() {
        return counters;
    }

    public State state() {
        return state;
    }

    /** The lease in use (BOUND, RENEWING, REBINDING), or null; readable from any thread. */
    public Lease lease() {
        return lease;
    }

    /** Loop-clock time of the last state change. */
    public long lastChange() {
        return lastChange;
    }

    /** Opens port 68 and starts in INIT (RFC 2131 §4.4.1) after a random wait. */
    public void start() throws IOException {
        if (state != State.STOPPED) {
            return;
        }
        socket = udp.open().bind(IpAddr.V4_ANY, CLIENT_PORT);
        socket.setHandler((s, buf, off, len, srcHi, srcLo, srcPort) -> input(buf, off, len));
        restart(randomUpTo(config.initialDelayMaxNanos));
    }

    /** Stops: cancels timers and closes the socket; the lease stays configured (as after a reboot). */
    public void stop() {
        ctx.timers().cancel(retx);
        ctx.timers().cancel(leaseTimer);
        if (socket != null) {
            socket.close();
            socket = null;
        }
        host.watch(0, null);
        state(State.STOPPED);
    }

    // ---- states ----

    private void state(State s) {
        state = s;
        lastChange = ctx.now();
    }

    /** INIT: forget the transaction, DISCOVER after {@code delay}. */
    private void restart(long delay) {
        ctx.timers().cancel(retx);
        state(State.INIT);
        pending = null;
        offered = 0;
        host.watch(0, null);
        ctx.timers().schedule(retx, ctx.now() + delay);
    }

    private void newTransaction() {
        xid = ctx.random().nextInt(); // RFC 2131 §4.4.1: a random transaction id
        attempts = 0;
        startedAt = ctx.now();
    }

    private void onRetransmit(long now) {
        switch (state) {
            case INIT -> {
                newTransaction();
                state(State.SELECTING);
                sendDiscover();
            }
            case SELECTING -> sendDiscover();
            case REQUESTING -> {
                if (attempts >= config.requestAttempts) {
                    restart(0); // no answer to our REQUEST: start over (RFC 2131 §4.4.1)
                    return;
                }
                sendRequest();
            }
            case PROBING -> probeStep(now);
            case BOUND -> announceStep(now);
            case RENEWING, REBINDING -> sendRequest();
            default -> {
            }
        }
    }

    private void onLeaseTimer(long now) {
        Lease l = lease;
        if (l == null) {
            return;
        }
        switch (state) {
            case BOUND -> {
                // RFC 2131 §4.4.5: at T1 renew with the server that granted the lease (unicast)
                newTransaction();
                state(State.RENEWING);
                ctx.timers().schedule(leaseTimer, l.t2At());
                sendRequest();
            }
            case RENEWING -> {
                // at T2 any server may extend it (broadcast)
                newTransaction();
                state(State.REBINDING);
                ctx.timers().schedule(leaseTimer, l.expiresAt());
                sendRequest();
            }
            case REBINDING -> {
                // the lease expired: stop using the address and start over (RFC 2131 §4.4.5)
                counters.inc(DhcpCounter.EXPIRED);
                drop();
                restart(0);
            }
            default -> {
            }
        }
    }

    private void drop() {
        Lease l = lease;
        lease = null;
        ctx.timers().cancel(leaseTimer);
        if (l != null) {
            host.unbind(l);
        }
    }

    /** RFC 2131 §4.1: 4 s, 8 s, ... up to 64 s, each randomised by ±1 s. */
    private long backoff() {
        long d = config.retransmitBaseNanos << Math.min(attempts - 1, 4);
        d = Math.min(d, config.retransmitMaxNanos);
        long j = config.retransmitJitterNanos;
        if (j > 0) {
            d += ctx.random().nextLong(2 * j + 1) - j;
        }
        return Math.max(d, 1);
    }

    /** RFC 2131 §4.4.5: half the time left until {@code until}, but at least the minimum. */
    private void scheduleRenewRetransmit(long until) {
        long now = ctx.now();
        long wait = Math.max((until - now) / 2, config.renewRetransmitMinNanos);
        if (now + wait < until) {
            ctx.timers().schedule(retx, now + wait);
        }
    }

    // ---- output ----

    private void sendDiscover() {
        attempts++;
        int at = header(DhcpMessage.DISCOVER, 0, true);
        at = end(at);
        if (send(at, Ipv4Address.BROADCAST)) {
            counters.inc(DhcpCounter.TX_DISCOVER);
        }
        ctx.timers().schedule(retx, ctx.now() + backoff());
    }

    private void sendRequest() {
        attempts++;
        Lease l = lease;
        int at;
        int dst = Ipv4Address.BROADCAST;
        if (state == State.REQUESTING) {
            // RFC 2131 §4.3.2 table 4, SELECTING: server id and requested address, ciaddr 0
            requestSentAt = ctx.now();
            at = header(DhcpMessage.REQUEST, 0, true);
            at = DhcpMessage.emitInt(out, at, DhcpMessage.OPT_REQUESTED_IP, offered);
            at = DhcpMessage.emitInt(out, at, DhcpMessage.OPT_SERVER_ID, offerServer);
            ctx.timers().schedule(retx, ctx.now() + backoff());
        } else {
            // RENEWING (unicast to the server) and REBINDING (broadcast): ciaddr, no options 50/54
            if (l == null) {
                return;
            }
            if (attempts == 1) {
                requestSentAt = ctx.now();
            }
            at = header(DhcpMessage.REQUEST, l.address().address(), false);
            if (state == State.RENEWING) {
                dst = l.server();
                scheduleRenewRetransmit(l.t2At());
            } else {
                scheduleRenewRetransmit(l.expiresAt());
            }
        }
        at = end(at);
        if (send(at, dst)) {
            counters.inc(DhcpCounter.TX_REQUEST);
        }
    }

    private void sendDecline(int address, int server) {
        // RFC 2131 §4.4.1: DECLINE with the address (option 50) and server id, broadcast
        int at = header(DhcpMessage.DECLINE, 0, false);
        at = DhcpMessage.emitInt(out, at, DhcpMessage.OPT_REQUESTED_IP, address);
        at = DhcpMessage.emitInt(out, at, DhcpMessage.OPT_SERVER_ID, server);
        at = end(at);
        if (send(at, Ipv4Address.BROADCAST)) {
            counters.inc(DhcpCounter.TX_DECLINE);
        }
    }

    private int header(int type, int ciaddr, boolean broadcastFlag) {
        int secs = (int) Math.min((ctx.now() - startedAt) / SECOND, 0xffff);
        // RFC 2131 §4.1: without an address the client cannot take unicast: ask for broadcast replies
        int at = DhcpMessage.emitHeader(out, 0, xid, secs, broadcastFlag ? DhcpMessage.FLAG_BROADCAST : 0, ciaddr, mac, type);
        at = DhcpMessage.emitBytes(out, at, DhcpMessage.OPT_CLIENT_ID, clientId);
        if (type == DhcpMessage.DISCOVER || type == DhcpMessage.REQUEST) {
            at = DhcpMessage.emitBytes(out, at, DhcpMessage.OPT_PARAMS, PARAMS);
        }
        return at;
    }

    private int end(int at) {
        out.put(at++, (byte) DhcpMessage.OPT_END);
        // RFC 1542 §2.1: pad to the 300-byte BOOTP minimum, which some relays insist on
        while (at < 300) {
            out.put(at++, (byte) 0);
        }
        return at;
    }

    private boolean send(int len, int dst) {
        UdpSocket s = socket;
        if (s == null) {
            return false;
        }
        try {
            if (s.sendTo(out, 0, len, 0, IpAddr.mappedLo(dst), SERVER_PORT) > 0) {
                return true;
            }
        } catch (IOException e) {
            // no route (e.g. a unicast renewal while the router is gone): the retransmission retries
        }
        counters.inc(DhcpCounter.TX_ERROR);
        return false;
    }

    // ---- input ----

    /** A datagram on port 68. Malformed or unexpected messages are dropped and counted. */
    void input(ByteBuffer b, int off, int len) {
        counters.inc(DhcpCounter.RX);
        DhcpMessage.Error err = msg.parse(b, off, len);
        if (err != DhcpMessage.Error.NONE) {
            counters.inc(switch (err) {
                case TRUNCATED -> DhcpCounter.DROP_TRUNCATED;
                case BAD_OP -> DhcpCounter.DROP_BAD_OP;
                case BAD_HTYPE -> DhcpCounter.DROP_BAD_HTYPE;
                case BAD_COOKIE -> DhcpCounter.DROP_BAD_COOKIE;
                case NO_MESSAGE_TYPE -> DhcpCounter.DROP_NO_MESSAGE_TYPE;
                default -> DhcpCounter.DROP_BAD_OPTION;
            });
            return;
        }
        if (msg.op != DhcpMessage.BOOTREPLY) {
            counters.inc(DhcpCounter.DROP_NOT_REPLY);
            return;
        }
        if (msg.xid != xid) {
            counters.inc(DhcpCounter.DROP_XID_MISMATCH); // RFC 2131 §4.4.1: not our transaction
            return;
        }
        if (msg.chaddr != mac) {
            counters.inc(DhcpCounter.DROP_CHADDR_MISMATCH);
            return;
        }
        switch (msg.messageType) {
            case DhcpMessage.OFFER -> offer();
            case DhcpMessage.ACK -> ack();
            case DhcpMessage.NAK -> nak();
            default -> counters.inc(DhcpCounter.DROP_WRONG_STATE);
        }
    }

    private static boolean usable(int a) {
        return a != 0 && a != Ipv4Address.BROADCAST && !Ipv4Address.isMulticast(a) && !Ipv4Address.isLoopback(a)
                && !Ipv4Address.isClassE(a) && !Ipv4Address.isThisNetwork(a);
    }

    private void offer() {
        counters.inc(DhcpCounter.RX_OFFER);
        if (state != State.SELECTING) {
            counters.inc(DhcpCounter.DROP_WRONG_STATE); // a later offer: we took the first
            return;
        }
        if (!usable(msg.yiaddr)) {
            counters.inc(DhcpCounter.DROP_BAD_ADDRESS);
            return;
        }
        if (msg.serverId == 0) {
            counters.inc(DhcpCounter.DROP_NO_SERVER_ID); // RFC 2131 table 3: MUST in an OFFER
            return;
        }
        // RFC 2131 §4.4.1: the client may choose among offers; it takes the first.
        offered = msg.yiaddr;
        offerServer = msg.serverId;
        state(State.REQUESTING);
        attempts = 0;
        sendRequest();
    }

    private void ack() {
        counters.inc(DhcpCounter.RX_ACK);
        if (state != State.REQUESTING && state != State.RENEWING && state != State.REBINDING) {
            counters.inc(DhcpCounter.DROP_WRONG_STATE);
            return;
        }
        if (!usable(msg.yiaddr)) {
            counters.inc(DhcpCounter.DROP_BAD_ADDRESS);
            return;
        }
        if (msg.leaseSeconds < 0) {
            counters.inc(DhcpCounter.DROP_NO_LEASE_TIME); // RFC 2131 table 3: MUST in an ACK to a REQUEST
            return;
        }
        if (state == State.REQUESTING && msg.serverId != 0 && msg.serverId != offerServer) {
            counters.inc(DhcpCounter.DROP_WRONG_SERVER);
            return;
        }
        Lease l = leaseFromMessage();
        ctx.timers().cancel(retx);
        if (state == State.REQUESTING) {
            if (config.arpProbe) {
                pending = l;
                state(State.PROBING);
                probesSent = 0;
                int addr = l.address().address();
                host.watch(addr, () -> conflict(addr));
                // RFC 5227 §2.1.1: wait PROBE_WAIT (random), then PROBE_NUM probes
                ctx.timers().schedule(retx, ctx.now() + randomUpTo(config.probeWaitNanos));
            } else {
                bound(l);
            }
            return;
        }
        Lease old = lease;
        if (old != null && !old.address().equals(l.address())) {
            host.unbind(old); // the server gave another address: take it instead
        }
        counters.inc(state == State.RENEWING ? DhcpCounter.RENEWED : DhcpCounter.REBOUND);
        bound(l);
    }

    private Lease leaseFromMessage() {
        long base = requestSentAt;
        long secs = msg.leaseSeconds;
        int server = msg.serverId != 0 ? msg.serverId : (lease != null ? lease.server() : offerServer);
        int prefix = msg.prefixLength >= 0 && msg.prefixLength < 32 ? msg.prefixLength : classful(msg.yiaddr);
        List<Integer> dns = new ArrayList<>();
        for (int i = 0; i < msg.dnsCount; i++) {
            if (usable(msg.dns[i])) {
                dns.add(msg.dns[i]);
            }
        }
        int router = usable(msg.router) ? msg.router : 0;
        long t1;
        long t2;
        long exp;
        if (secs == 0xffff_ffffL) {
            t1 = t2 = exp = Long.MAX_VALUE; // RFC 2131 §3.3: infinite
        } else {
            // RFC 2131 §4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease, from the time the REQUEST was sent
            long t1s = msg.t1Seconds >= 0 && msg.t1Seconds < secs ? msg.t1Seconds : secs / 2;
            long t2s = msg.t2Seconds >= 0 && msg.t2Seconds < secs && msg.t2Seconds >= t1s ? msg.t2Seconds : secs * 7 / 8;
            t2s = Math.max(t2s, t1s);
            t1 = base + t1s * SECOND;
            t2 = base + t2s * SECOND;
            exp = base + secs * SECOND;
        }
        return new Lease(new InterfaceAddress(msg.yiaddr, prefix), router, List.copyOf(dns), server, secs, t1, t2, exp);
    }

    /** No subnet mask option: the class's natural mask (RFC 2132 §3.3 leaves it to the client). */
    private static int classful(int a) {
        int top = a >>> 24;
        return top < 128 ? 8 : top < 192 ? 16 : 24;
    }

    private void nak() {
        counters.inc(DhcpCounter.RX_NAK);
        if (state != State.REQUESTING && state != State.RENEWING && state != State.REBINDING) {
            counters.inc(DhcpCounter.DROP_WRONG_STATE);
            return;
        }
        // RFC 2131 §3.1 step 5 / §4.4.5: a NAK means start over, without the address
        drop();
        restart(randomUpTo(config.initialDelayMaxNanos));
    }

    // ---- RFC 5227 probing and announcing ----

    private void probeStep(long now) {
        Lease l = pending;
        if (l == null) {
            return;
        }
        if (probesSent < config.probeNum) {
            probesSent++;
            host.probe(l.address().address());
            long wait = probesSent < config.probeNum
                    ? config.probeMinNanos + randomUpTo(config.probeMaxNanos - config.probeMinNanos)
                    : config.announceWaitNanos;
            ctx.timers().schedule(retx, now + wait);
            return;
        }
        host.watch(0, null);
        pending = null;
        bound(l);
    }

    private void conflict(int address) {
        if (state != State.PROBING || pending == null || pending.address().address() != address) {
            return;
        }
        // RFC 2131 §3.1 step 5: the address is in use: DECLINE, wait, start over
        counters.inc(DhcpCounter.DECLINED);
        sendDecline(address, pending.server());
        restart(config.declineWaitNanos);
    }

    private void bound(Lease l) {
        boolean fresh = state == State.REQUESTING || state == State.PROBING;
        lease = l;
        state(State.BOUND);
        host.bind(l);
        if (fresh) {
            counters.inc(DhcpCounter.LEASES);
            announcesLeft = config.announceNum;
            announceStep(ctx.now());
        }
        if (l.infinite()) {
            ctx.timers().cancel(leaseTimer);
        } else {
            ctx.timers().schedule(leaseTimer, l.t1At());
        }
    }

    private void announceStep(long now) {
        Lease l = lease;
        if (l == null || announcesLeft <= 0) {
            return;
        }
        announcesLeft--;
        host.announce(l.address().address());
        if (announcesLeft > 0) {
            ctx.timers().schedule(retx, now + config.announceIntervalNanos);
        }
    }

    private long randomUpTo(long max) {
        return max <= 0 ? 0 : ctx.random().nextLong(max + 1);
    }
}
