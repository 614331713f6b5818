package io.tapstack.dns;

import io.tapstack.context.StackContext;
import io.tapstack.loop.Timer;
import io.tapstack.socket.TcpException;
import io.tapstack.stats.Counters;
import io.tapstack.tcp.Tcp;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.udp.Udp;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A DNS stub resolver (RFC 1035 §7, RFC 1123 §6.1.3) on the event loop: A and AAAA lookups
 * (RFC 3596), sent over UDP from a fresh random port with a random id (RFC 5452 §9.2) to each
 * configured server in turn, retried, answered from a bounded cache that honours TTLs and caches
 * negative answers (RFC 2308 §5), following CNAME chains (bounded), and repeated over TCP when
 * the UDP answer is truncated (RFC 7766 §5).
 *
 * <p>Servers come from {@code --dns} (static), DHCP (RFC 2132 §3.8) and router advertisements
 * (RFC 8106 RDNSS), kept per source and tried in that order. Loop thread only; callbacks run on
 * the loop, possibly before {@link #resolve} returns (a cache hit).
 */
public final class Resolver {
    /** Where a server address was learnt, in the order servers are tried. */
    public enum Source { STATIC, DHCP, RA }

    /** The result of a lookup: addresses (non-empty) or an error, never both. */
    @FunctionalInterface
    public interface Callback {
        void onResult(List<IpAddr> addresses, IOException error);
    }

    private static final long SECOND = 1_000_000_000L;
    private static final int PORT = 53;

    private final StackContext ctx;
    private final Udp udp;
    private final Tcp tcp;
    private final ResolverConfig config;
    private final Counters<DnsCounter> counters;
    private final Map<Source, List<IpAddr>> servers = new EnumMap<>(Source.class);
    private final ByteBuffer out = ByteBuffer.allocate(DnsMessage.HEADER + DnsMessage.MAX_NAME + 4);
    private final LinkedHashMap<String, CacheEntry> cache;
    private int inFlight;

    private record CacheEntry(List<IpAddr> addresses, long expiresAt, boolean nxdomain) {
    }

    public Resolver(StackContext ctx, Udp udp, Tcp tcp, ResolverConfig config) {
        this.ctx = ctx;
        this.udp = udp;
        this.tcp = tcp;
        this.config = config;
        this.counters = ctx.stats().register("dns", DnsCounter.class);
        this.cache = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CacheEntry> e) {
                return size() > Resolver.this.config.cacheEntries;
            }
        };
    }

    public Counters<DnsCounter> counters() {
        return counters;
    }

    /** Replaces the servers learnt from {@code source} (an empty list forgets them). */
    public void setServers(Source source, List<IpAddr> list) {
        servers.put(source, List.copyOf(list));
    }

    /** Every server, in the order they are tried, without duplicates. */
    public List<IpAddr> servers() {
        LinkedHashSet<IpAddr> s = new LinkedHashSet<>();
        for (Source src : Source.values()) {
            s.addAll(servers.getOrDefault(src, List.of()));
        }
        return List.copyOf(s);
    }

    /** Names in the cache (positive and negative). */
    public int cacheSize() {
        return cache.size();
    }

    /** Forgets every cached answer. */
    public void flushCache() {
        cache.clear();
    }

    /**
     * Looks up A ({@link DnsMessage#TYPE_A}) or AAAA ({@link DnsMessage#TYPE_AAAA}) records of
     * {@code name}. An IP literal is its own answer.
     */
    public void resolve(String name, int qtype, Callback cb) {
        if (qtype != DnsMessage.TYPE_A && qtype != DnsMessage.TYPE_AAAA) {
            throw new IllegalArgumentException("only A and AAAA lookups");
        }
        counters.inc(DnsCounter.LOOKUPS);
        IpAddr literal = literal(name);
        if (literal != null) {
            cb.onResult(List.of(literal), null);
            return;
        }
        String n = DnsMessage.normalize(name);
        try {
            DnsMessage.writeName(ByteBuffer.allocate(DnsMessage.MAX_NAME + 64), 0, n);
        } catch (IllegalArgumentException e) {
            cb.onResult(null, new UnknownHostException(e.getMessage()));
            return;
        }
        String key = n + "/" + qtype;
        CacheEntry e = cache.get(key);
        if (e != null && e.expiresAt > ctx.now()) {
            if (e.addresses.isEmpty()) {
                counters.inc(DnsCounter.CACHE_NEGATIVE_HITS);
                cb.onResult(null, new UnknownHostException(name + (e.nxdomain ? ": no such name" : ": no " + typeName(qtype) + " record") + " (cached)"));
            } else {
                counters.inc(DnsCounter.CACHE_HITS);
                cb.onResult(e.addresses, null);
            }
            return;
        }
        if (e != null) {
            cache.remove(key);
        }
        List<IpAddr> list = servers();
        if (list.isEmpty()) {
            counters.inc(DnsCounter.NO_SERVER);
            cb.onResult(null, new UnknownHostException(name + ": no DNS server configured (--dns ADDR, DHCP or RDNSS)"));
            return;
        }
        if (inFlight >= config.maxQueries) {
            counters.inc(DnsCounter.DROP_TOO_MANY_QUERIES);
            cb.onResult(null, new IOException("too many DNS lookups in flight"));
            return;
        }
        inFlight++;
        new Query(name, n, qtype, list, cb).send();
    }

    /**
     * Looks up both A and AAAA records and answers with all addresses (IPv4 first); fails only
     * when both fail.
     */
    public void resolveAll(String name, Callback cb) {
        IpAddr literal = literal(name);
        if (literal != null) {
            counters.inc(DnsCounter.LOOKUPS);
            cb.onResult(List.of(literal), null);
            return;
        }
        Object[] results = new Object[2];
        int[] left = {2};
        for (int i = 0; i < 2; i++) {
            int slot = i;
            resolve(name, i == 0 ? DnsMessage.TYPE_A : DnsMessage.TYPE_AAAA, (addrs, err) -> {
                results[slot] = addrs != null ? addrs : err;
                if (--left[0] > 0) {
                    return;
                }
                List<IpAddr> all = new ArrayList<>();
                for (Object r : results) {
                    if (r instanceof List<?> l) {
                        for (Object a : l) {
                            all.add((IpAddr) a);
                        }
                    }
                }
                if (all.isEmpty()) {
                    cb.onResult(null, (IOException) results[0]);
                } else {
                    cb.onResult(List.copyOf(all), null);
                }
            });
        }
    }

    private static IpAddr literal(String name) {
        String h = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
        if (h.indexOf(':') >= 0 || h.matches("[0-9.]+")) {
            try {
                return IpAddr.parse(h);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    static String typeName(int qtype) {
        return qtype == DnsMessage.TYPE_A ? "A" : qtype == DnsMessage.TYPE_AAAA ? "AAAA" : "type " + qtype;
    }

    private void cachePut(String key, List<IpAddr> addrs, long ttlSeconds, boolean nxdomain) {
        long max = addrs.isEmpty() ? config.maxNegativeTtlSeconds : config.maxTtlSeconds;
        long ttl = Math.min(ttlSeconds, max);
        if (ttl <= 0) {
            return; // RFC 1035 §3.2.1: TTL 0 is not cached
        }
        cache.put(key, new CacheEntry(addrs, ctx.now() + ttl * SECOND, nxdomain));
    }

    /** One lookup in flight: the name asked now (after CNAMEs), the server, the transport. */
    private final class Query implements UdpSocket.Handler, TcpHandler {
        final String asked;
        final String original;
        final int qtype;
        final List<IpAddr> list;
        final Callback cb;
        final Timer timer = new Timer(now -> timeout());
        String current;
        long chainTtl = Long.MAX_VALUE;
        int cnames;
        int tries;
        int id;
        byte[] query;
        UdpSocket sock;
        TcpConnection conn;
        byte[] tcpIn;
        int tcpHave;
        boolean done;

        Query(String asked, String original, int qtype, List<IpAddr> list, Callback cb) {
            this.asked = asked;
            this.original = original;
            this.current = original;
            this.qtype = qtype;
            this.list = list;
            this.cb = cb;
        }

        IpAddr server() {
            return list.get(tries % list.size());
        }

        void send() {
            closeTransport();
            // RFC 5452 §9.2: an unpredictable id and source port for every query
            id = ctx.random().nextInt(0x10000);
            int len = DnsMessage.writeQuery(out, 0, id, current, qtype);
            query = new byte[len];
            out.get(0, query);
            counters.inc(DnsCounter.QUERIES);
            ctx.timers().schedule(timer, ctx.now() + config.timeoutNanos);
            try {
                sock = udp.open();
                sock.setHandler(this);
                sock.connect(server(), PORT); // replies only from the server's port 53 (RFC 5452 §9.1)
                sock.send(ByteBuffer.wrap(query));
                counters.inc(DnsCounter.TX_UDP);
            } catch (IOException e) {
                nextServer();
            }
        }

        void timeout() {
            counters.inc(DnsCounter.TIMEOUTS);
            nextServer();
        }

        void nextServer() {
            if (done) {
                return;
            }
            tries++;
            if (tries >= list.size() * config.attempts) {
                fail(new SocketTimeoutException(asked + ": no answer from " + list + " (" + tries + " queries)"));
                return;
            }
            counters.inc(DnsCounter.RETRIES);
            send();
        }

        @Override
        public void onDatagram(UdpSocket s, ByteBuffer buf, int off, int len, long srcHi, long srcLo, int srcPort) {
            if (s != sock || done) {
                return;
            }
            if (answer(buf, off, len) == Boolean.FALSE) {
                // truncated: the same question over TCP (RFC 7766 §5)
                counters.inc(DnsCounter.TRUNCATED);
                startTcp();
            }
        }

        @Override
        public void onError(UdpSocket s, IOException e) {
            if (s == sock && !done) {
                nextServer(); // e.g. port unreachable: that server runs no DNS
            }
        }

        /**
         * Checks and takes a response; returns null when it was dropped (keep waiting), TRUE when
         * it was used, FALSE when it was truncated.
         */
        Boolean answer(ByteBuffer buf, int off, int len) {
            counters.inc(DnsCounter.RX);
            DnsMessage.Parsed p = DnsMessage.parse(buf, off, len);
            if (p.error != DnsMessage.Error.NONE) {
                counters.inc(switch (p.error) {
                    case BAD_NAME -> DnsCounter.DROP_BAD_NAME;
                    case NOT_RESPONSE -> DnsCounter.DROP_NOT_RESPONSE;
                    default -> DnsCounter.DROP_MALFORMED;
                });
                return null;
            }
            if (p.id != id) {
                counters.inc(DnsCounter.DROP_ID_MISMATCH);
                return null;
            }
            // RFC 5452 §9.1: the answer must be to our question
            if (p.qdcount != 1 || !current.equals(p.question) || p.qtype != qtype || p.qclass != DnsMessage.CLASS_IN) {
                counters.inc(DnsCounter.DROP_QUESTION_MISMATCH);
                return null;
            }
            if (p.truncated) {
                return Boolean.FALSE;
            }
            take(p);
            return Boolean.TRUE;
        }

        void take(DnsMessage.Parsed p) {
            String key = original + "/" + qtype;
            if (p.rcode == DnsMessage.RCODE_NXDOMAIN) {
                counters.inc(DnsCounter.NXDOMAIN);
                if (p.negativeTtl >= 0) {
                    // RFC 2308 §5: cache with the SOA's TTL; without a SOA, not at all
                    cachePut(key, List.of(), Math.min(p.negativeTtl, chainTtl), true);
                }
                fail(new UnknownHostException(asked + ": no such name"));
                return;
            }
            if (p.rcode != DnsMessage.RCODE_NOERROR) {
                counters.inc(DnsCounter.SERVER_FAILURES); // SERVFAIL, REFUSED, ...: ask the next server
                closeTransport();
                nextServer();
                return;
            }
            // RFC 1034 §3.6.2 / §5.3.3: follow CNAMEs in the answer, then take the target's records
            String n = current;
            long ttl = chainTtl;
            for (boolean moved = true; moved; ) {
                moved = false;
                for (DnsMessage.Record r : p.answers) {
                    if (r.type() == DnsMessage.TYPE_CNAME && r.name().equals(n)) {
                        if (++cnames > config.maxCnameChain) {
                            counters.inc(DnsCounter.CNAME_TOO_DEEP);
                            fail(new UnknownHostException(asked + ": CNAME chain longer than " + config.maxCnameChain));
                            return;
                        }
                        counters.inc(DnsCounter.CNAME_FOLLOWED);
                        n = r.target();
                        ttl = Math.min(ttl, r.ttl());
                        moved = true;
                        break;
                    }
                }
            }
            List<IpAddr> addrs = new ArrayList<>();
            for (DnsMessage.Record r : p.answers) {
                if (r.type() == qtype && r.name().equals(n) && !addrs.contains(r.address())) {
                    addrs.add(r.address());
                    ttl = Math.min(ttl, r.ttl());
                }
            }
            if (!addrs.isEmpty()) {
                counters.inc(DnsCounter.ANSWERS);
                cachePut(key, List.copyOf(addrs), ttl, false);
                finish(List.copyOf(addrs), null);
                return;
            }
            if (!n.equals(current)) {
                // the alias's records were not in this answer: ask for the alias itself
                current = n;
                chainTtl = ttl;
                tries = 0;
                send();
                return;
            }
            counters.inc(DnsCounter.NODATA);
            if (p.negativeTtl >= 0) {
                cachePut(key, List.of(), Math.min(p.negativeTtl, chainTtl), false);
            }
            fail(new UnknownHostException(asked + ": no " + typeName(qtype) + " record"));
        }

        // ---- TCP (RFC 7766 §6.2.1: each message prefixed by its two-byte length) ----

        void startTcp() {
            closeTransport();
            ctx.timers().schedule(timer, ctx.now() + config.timeoutNanos);
            try {
                counters.inc(DnsCounter.TX_TCP);
                conn = tcp.connect(server(), PORT, this);
            } catch (TcpException | RuntimeException e) {
                tcpFailed();
            }
        }

        @Override
        public void onConnected(TcpConnection c) {
            if (c != conn || done) {
                return;
            }
            byte[] framed = new byte[query.length + 2];
            framed[0] = (byte) (query.length >>> 8);
            framed[1] = (byte) query.length;
            System.arraycopy(query, 0, framed, 2, query.length);
            try {
                c.write(framed, 0, framed.length);
            } catch (TcpException e) {
                tcpFailed();
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            if (c != conn || done) {
                return;
            }
            try {
                byte[] hdr = new byte[2];
                while (true) {
                    if (tcpIn == null) {
                        if (c.available() < 2) {
                            if (c.isInputShutdown()) {
                                throw new IOException("closed");
                            }
                            return;
                        }
                        c.read(hdr, 0, 2);
                        tcpIn = new byte[((hdr[0] & 0xff) << 8) | (hdr[1] & 0xff)];
                        tcpHave = 0;
                    }
                    int n = tcpIn.length == tcpHave ? 0 : c.read(tcpIn, tcpHave, tcpIn.length - tcpHave);
                    if (n < 0) {
                        throw new IOException("closed");
                    }
                    tcpHave += n;
                    if (tcpHave < tcpIn.length) {
                        return;
                    }
                    byte[] m = tcpIn;
                    tcpIn = null;
                    Boolean r = answer(ByteBuffer.wrap(m), 0, m.length);
                    if (r != null) {
                        if (r == Boolean.FALSE) {
                            nextServer(); // truncated even over TCP: malformed
                        }
                        return;
                    }
                }
            } catch (IOException | RuntimeException e) {
                tcpFailed();
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            if (c == conn && !done) {
                conn = null;
                tcpFailed();
            }
        }

        /** The TCP exchange failed (refused, reset, closed early): ask the next server. */
        void tcpFailed() {
            counters.inc(DnsCounter.TCP_ERRORS);
            nextServer();
        }

        void closeTransport() {
            if (sock != null) {
                sock.close();
                sock = null;
            }
            if (conn != null) {
                TcpConnection c = conn;
                conn = null;
                c.close();
            }
            tcpIn = null;
        }

        void fail(IOException e) {
            counters.inc(DnsCounter.FAILED);
            finish(null, e);
        }

        void finish(List<IpAddr> addrs, IOException e) {
            if (done) {
                return;
            }
            done = true;
            inFlight--;
            ctx.timers().cancel(timer);
            closeTransport();
            cb.onResult(addrs, e);
        }
    }
}
