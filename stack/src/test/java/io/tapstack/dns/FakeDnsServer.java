package io.tapstack.dns;

import io.tapstack.NetStack;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.udp.UdpSocket;
import io.tapstack.wire.IpAddr;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A scripted DNS server on a test stack (UDP and TCP port 53). Responses are built here byte by
 * byte, with the question's name compressed as a pointer to offset 12 (RFC 1035 §4.1.4).
 */
final class FakeDnsServer {
    /** A zone entry: A/AAAA addresses or a CNAME target, with a TTL. */
    record Entry(int type, long ttl, IpAddr address, String target) {
    }

    final Map<String, List<Entry>> zone = new HashMap<>();
    final List<String> udpQueries = new ArrayList<>();
    final List<String> tcpQueries = new ArrayList<>();
    boolean truncateUdp;
    boolean silent;
    int rcode = -1;              // force an RCODE
    long soaTtl = 30;            // negative TTL (SOA MINIMUM and TTL), -1 for no SOA
    int idDelta;                 // answer with a wrong id
    String wrongQuestion;        // answer another question

    FakeDnsServer(NetStack stack) throws Exception {
        UdpSocket u = stack.udp().open().bind(null, 53);
        u.setHandler((s, buf, off, len, hi, lo, port) -> {
            byte[] q = new byte[len];
            buf.get(off, q);
            byte[] r = answer(q, false);
            if (r != null) {
                try {
                    s.sendTo(ByteBuffer.wrap(r), IpAddr.of(hi, lo), port);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        TcpListener l = stack.tcp().listen(null, 53, 16, null);
        l.setChildHandler(new TcpHandler() {
            @Override
            public void onReadable(TcpConnection c) {
                try {
                    if (c.available() < 2) {
                        return;
                    }
                    byte[] h = new byte[2];
                    c.read(h, 0, 2);
                    byte[] q = new byte[((h[0] & 0xff) << 8) | (h[1] & 0xff)];
                    int n = 0;
                    while (n < q.length) {
                        int k = c.read(q, n, q.length - n);
                        if (k <= 0) {
                            throw new AssertionError("query cut short");
                        }
                        n += k;
                    }
                    byte[] r = answer(q, true);
                    byte[] f = new byte[r.length + 2];
                    f[0] = (byte) (r.length >>> 8);
                    f[1] = (byte) r.length;
                    System.arraycopy(r, 0, f, 2, r.length);
                    c.write(f, 0, f.length);
                    c.close();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
            }
        });
    }

    void add(String name, int type, long ttl, String value) {
        Entry e = type == DnsMessage.TYPE_CNAME ? new Entry(type, ttl, null, value) : new Entry(type, ttl, IpAddr.parse(value), null);
        zone.computeIfAbsent(name, k -> new ArrayList<>()).add(e);
    }

    byte[] answer(byte[] q, boolean tcp) {
        ByteBuffer b = ByteBuffer.wrap(q);
        StringBuilder sb = new StringBuilder();
        int at;
        try {
            at = DnsMessage.readName(b, 0, q.length, 12, sb);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        int qtype = b.getShort(at) & 0xffff;
        String name = sb.toString();
        (tcp ? tcpQueries : udpQueries).add(name + "/" + qtype);
        if (silent) {
            return null;
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int id = (b.getShort(0) + idDelta) & 0xffff;
        boolean tc = truncateUdp && !tcp;
        // follow CNAMEs inside the zone, as a recursive server puts the whole chain in the answer
        List<byte[]> answers = new ArrayList<>();
        String n = name;
        boolean first = true;
        for (int i = 0; i < 20 && !tc; i++) {
            List<Entry> es = zone.get(n);
            if (es == null) {
                break;
            }
            String next = null;
            for (Entry e : es) {
                if (e.type() == DnsMessage.TYPE_CNAME) {
                    answers.add(rr(first ? null : n, e.type(), e.ttl(), nameBytes(e.target())));
                    next = e.target();
                } else if (e.type() == qtype) {
                    byte[] a = new byte[qtype == DnsMessage.TYPE_A ? 4 : 16];
                    ByteBuffer ab = ByteBuffer.wrap(a);
                    if (qtype == DnsMessage.TYPE_A) {
                        ab.putInt(e.address().v4());
                    } else {
                        ab.putLong(e.address().hi()).putLong(e.address().lo());
                    }
                    answers.add(rr(first ? null : n, e.type(), e.ttl(), a));
                }
            }
            if (next == null) {
                break;
            }
            n = next;
            first = false;
        }
        int rc = rcode >= 0 ? rcode : (zone.containsKey(name) ? 0 : DnsMessage.RCODE_NXDOMAIN);
        boolean soa = answers.isEmpty() && soaTtl >= 0 && !tc;
        ByteBuffer h = ByteBuffer.allocate(12);
        h.putShort((short) id).putShort((short) (0x8180 | (tc ? 0x0200 : 0) | rc)).putShort((short) 1)
                .putShort((short) answers.size()).putShort((short) (soa ? 1 : 0)).putShort((short) 0);
        o.writeBytes(h.array());
        o.writeBytes(nameBytes(wrongQuestion != null ? wrongQuestion : name));
        o.writeBytes(new byte[] {(byte) (qtype >> 8), (byte) qtype, 0, 1});
        for (byte[] a : answers) {
            o.writeBytes(a);
        }
        if (soa) {
            ByteBuffer s = ByteBuffer.allocate(2 + 2 + 20);
            s.put(new byte[] {0, 0}); // mname and rname: the root
            s.putInt(1).putInt(3600).putInt(600).putInt(86400).putInt((int) soaTtl);
            o.writeBytes(rr(".", DnsMessage.TYPE_SOA, soaTtl, java.util.Arrays.copyOf(s.array(), 22)));
        }
        return o.toByteArray();
    }

    /** A record; owner null is the question's name, compressed (pointer to offset 12). */
    static byte[] rr(String owner, int type, long ttl, byte[] rdata) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        if (owner == null) {
            o.writeBytes(new byte[] {(byte) 0xc0, 12});
        } else {
            o.writeBytes(nameBytes(owner));
        }
        ByteBuffer f = ByteBuffer.allocate(10);
        f.putShort((short) type).putShort((short) 1).putInt((int) ttl).putShort((short) rdata.length);
        o.writeBytes(f.array());
        o.writeBytes(rdata);
        return o.toByteArray();
    }

    static byte[] nameBytes(String name) {
        ByteBuffer b = ByteBuffer.allocate(300);
        int n = DnsMessage.writeName(b, 0, name.equals(".") ? "" : name);
        return java.util.Arrays.copyOf(b.array(), n);
    }
}
