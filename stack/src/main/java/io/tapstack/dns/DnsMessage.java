package io.tapstack.dns;

import io.tapstack.wire.IpAddr;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * DNS messages as a stub resolver needs them (RFC 1035 §4.1; AAAA per RFC 3596 §2): writing a
 * query, and reading a response into its answer records and the negative-caching TTL.
 *
 * <pre>
 *  header (12 bytes): ID | QR OPCODE AA TC RD RA Z RCODE | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT
 *  question:          QNAME (labels) | QTYPE | QCLASS
 *  resource record:   NAME | TYPE | CLASS | TTL (32) | RDLENGTH | RDATA
 * </pre>
 *
 * <p>Names may be compressed (RFC 1035 §4.1.4). A pointer must point strictly before the place
 * it was reached from, so a chain of pointers always ends; a name longer than 255 bytes, a
 * pointer out of the message or an unknown label type makes the whole message malformed.
 * {@link #parse} never throws: it returns null and says why in {@link Parsed#error}.
 */
public final class DnsMessage {
    public static final int HEADER = 12;
    public static final int TYPE_A = 1;
    public static final int TYPE_NS = 2;
    public static final int TYPE_CNAME = 5;
    public static final int TYPE_SOA = 6;
    public static final int TYPE_AAAA = 28;
    public static final int CLASS_IN = 1;
    public static final int RCODE_NOERROR = 0;
    public static final int RCODE_FORMERR = 1;
    public static final int RCODE_SERVFAIL = 2;
    public static final int RCODE_NXDOMAIN = 3;
    /** RFC 1035 §2.3.4: names are at most 255 bytes, labels at most 63. */
    public static final int MAX_NAME = 255;
    public static final int MAX_LABEL = 63;
    /** Pointers followed for one name (each must go further back, so this is only a guard). */
    private static final int MAX_POINTERS = 128;
    /** Records read from one message. */
    public static final int MAX_RECORDS = 256;

    private DnsMessage() {
    }

    /** One answer record the resolver cares about: A, AAAA or CNAME (class IN). */
    public record Record(String name, int type, long ttl, IpAddr address, String target) {
    }

    /** Why a response was rejected. */
    public enum Error { NONE, TRUNCATED, NOT_RESPONSE, BAD_NAME, BAD_RECORD }

    /** A parsed response. */
    public static final class Parsed {
        public int id;
        public boolean truncated;
        public int rcode;
        public String question;
        public int qtype;
        public int qclass;
        public int qdcount;
        public final List<Record> answers = new ArrayList<>();
        /** RFC 2308 §5: min(SOA TTL, SOA MINIMUM) from the authority section, or -1 without a SOA. */
        public long negativeTtl = -1;
        /** Answer records left out although well formed (an AAAA holding an IPv4-mapped address). */
        public int skippedRecords;
        public Error error = Error.NONE;
    }

    /** Thrown inside the parser only; never leaves this class. */
    private static final class Malformed extends Exception {
        final Error why;

        Malformed(Error why) {
            super(null, null, false, false);
            this.why = why;
        }
    }

    /**
     * Writes a recursive query (RD set, RFC 1035 §4.1.1) for {@code name} and {@code qtype} at
     * {@code off}; returns its length.
     *
     * @throws IllegalArgumentException if the name is not a valid domain name
     */
    public static int writeQuery(ByteBuffer b, int off, int id, String name, int qtype) {
        b.putShort(off, (short) id);
        b.putShort(off + 2, (short) 0x0100); // RD
        b.putShort(off + 4, (short) 1);
        b.putShort(off + 6, (short) 0);
        b.putShort(off + 8, (short) 0);
        b.putShort(off + 10, (short) 0);
        int at = writeName(b, off + HEADER, name);
        b.putShort(at, (short) qtype);
        b.putShort(at + 2, (short) CLASS_IN);
        return at + 4 - off;
    }

    /** Writes {@code name} as labels; returns the offset after it. */
    public static int writeName(ByteBuffer b, int at, String name) {
        String n = normalize(name);
        int start = at;
        if (!n.isEmpty()) {
            for (String label : n.split("\\.", -1)) {
                int len = label.length();
                if (len == 0 || len > MAX_LABEL) {
                    throw new IllegalArgumentException("invalid domain name '" + name + "'");
                }
                b.put(at++, (byte) len);
                for (int i = 0; i < len; i++) {
                    char c = label.charAt(i);
                    if (c < 0x21 || c > 0x7e) {
                        throw new IllegalArgumentException("invalid character in domain name '" + name + "'");
                    }
                    b.put(at++, (byte) c);
                }
            }
        }
        b.put(at++, (byte) 0);
        if (at - start > MAX_NAME) {
            throw new IllegalArgumentException("domain name longer than 255 bytes: '" + name + "'");
        }
        return at;
    }

    /** Lower case without a trailing dot: the form in which names are compared (RFC 4343). */
    public static String normalize(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        return n.toLowerCase(Locale.ROOT);
    }

    /** Parses a response of {@code len} bytes at {@code off}; see {@link Parsed#error}. */
    public static Parsed parse(ByteBuffer b, int off, int len) {
        Parsed p = new Parsed();
        try {
            parse(b, off, off + len, p);
        } catch (Malformed m) {
            p.error = m.why;
        } catch (RuntimeException e) {
            // belt and braces: nothing a server sends may throw out of the parser
            p.error = Error.BAD_RECORD;
        }
        return p;
    }

    private static void parse(ByteBuffer b, int base, int end, Parsed p) throws Malformed {
        if (end - base < HEADER) {
            throw new Malformed(Error.TRUNCATED);
        }
        p.id = b.getShort(base) & 0xffff;
        int flags = b.getShort(base + 2) & 0xffff;
        if ((flags & 0x8000) == 0 || ((flags >>> 11) & 0xf) != 0) {
            throw new Malformed(Error.NOT_RESPONSE); // QR = 1, OPCODE = QUERY
        }
        p.truncated = (flags & 0x0200) != 0;
        p.rcode = flags & 0xf;
        p.qdcount = b.getShort(base + 4) & 0xffff;
        int an = b.getShort(base + 6) & 0xffff;
        int ns = b.getShort(base + 8) & 0xffff;
        int at = base + HEADER;
        StringBuilder sb = new StringBuilder();
        if (p.qdcount >= 1) {
            at = readName(b, base, end, at, sb);
            need(at + 4, end);
            p.question = sb.toString();
            p.qtype = b.getShort(at) & 0xffff;
            p.qclass = b.getShort(at + 2) & 0xffff;
            at += 4;
        }
        if (p.qdcount != 1 || p.truncated) {
            return; // the caller rejects it, or retries over TCP (RFC 7766 §5)
        }
        int records = 0;
        for (int i = 0; i < an + ns; i++) {
            if (++records > MAX_RECORDS) {
                return;
            }
            sb.setLength(0);
            at = readName(b, base, end, at, sb);
            need(at + 10, end);
            int type = b.getShort(at) & 0xffff;
            int cls = b.getShort(at + 2) & 0xffff;
            long ttl = b.getInt(at + 4) & 0x7fff_ffffL; // RFC 2181 §8: a TTL with the top bit set is 0
            if ((b.getInt(at + 4) & 0x8000_0000) != 0) {
                ttl = 0;
            }
            int rdlen = b.getShort(at + 8) & 0xffff;
            int rd = at + 10;
            need(rd + rdlen, end);
            at = rd + rdlen;
            if (cls != CLASS_IN) {
                continue;
            }
            boolean answer = i < an;
            if (answer && type == TYPE_A) {
                if (rdlen != 4) {
                    throw new Malformed(Error.BAD_RECORD);
                }
                p.answers.add(new Record(sb.toString(), type, ttl, IpAddr.ofV4(b.getInt(rd)), null));
            } else if (answer && type == TYPE_AAAA) {
                if (rdlen != 16) {
                    throw new Malformed(Error.BAD_RECORD);
                }
                long hi = b.getLong(rd);
                long lo = b.getLong(rd + 8);
                if (IpAddr.isV4Mapped(hi, lo)) {
                    // an IPv4-mapped address (::ffff:0:0/96) is no IPv6 node's address (RFC 4291
                    // §2.5.5.2, RFC 6890 §2.2.3: not forwardable); taken, it would be an IPv4 answer
                    // to an AAAA question. The record is skipped, the rest of the message kept.
                    p.skippedRecords++;
                    continue;
                }
                p.answers.add(new Record(sb.toString(), type, ttl, IpAddr.of(hi, lo), null));
            } else if (answer && type == TYPE_CNAME) {
                StringBuilder t = new StringBuilder();
                int after = readName(b, base, rd + rdlen, rd, t);
                if (after != rd + rdlen) {
                    throw new Malformed(Error.BAD_RECORD);
                }
                p.answers.add(new Record(sb.toString(), type, ttl, null, t.toString()));
            } else if (!answer && type == TYPE_SOA) {
                // RFC 2308 §5: the negative TTL is the minimum of the SOA's TTL and its MINIMUM field
                int x = readName(b, base, rd + rdlen, rd, new StringBuilder());
                x = readName(b, base, rd + rdlen, x, new StringBuilder());
                need(x + 20, rd + rdlen);
                long min = b.getInt(x + 16) & 0xffff_ffffL;
                p.negativeTtl = Math.min(ttl, min);
            }
        }
    }

    private static void need(int at, int end) throws Malformed {
        if (at > end) {
            throw new Malformed(Error.TRUNCATED);
        }
    }

    /**
     * Reads a possibly compressed name at {@code pos} into {@code sb} (lower case, dotted);
     * returns the offset just after the name where it started (RFC 1035 §4.1.4).
     */
    static int readName(ByteBuffer b, int base, int end, int pos, StringBuilder sb) throws Malformed {
        int after = -1;
        int p = pos;
        int limit = pos; // a pointer must go strictly before this: no loops
        int total = 1;
        int hops = 0;
        while (true) {
            if (p >= end || p < base) {
                throw new Malformed(Error.BAD_NAME);
            }
            int len = b.get(p) & 0xff;
            if ((len & 0xc0) == 0xc0) {
                if (p + 1 >= end) {
                    throw new Malformed(Error.BAD_NAME);
                }
                int target = base + (((len & 0x3f) << 8) | (b.get(p + 1) & 0xff));
                if (after < 0) {
                    after = p + 2;
                }
                if (target >= limit || ++hops > MAX_POINTERS) {
                    throw new Malformed(Error.BAD_NAME);
                }
                limit = target;
                p = target;
                continue;
            }
            if ((len & 0xc0) != 0) {
                throw new Malformed(Error.BAD_NAME); // extended label types (RFC 6891 §5): not used
            }
            if (len == 0) {
                return after < 0 ? p + 1 : after;
            }
            if (p + 1 + len > end) {
                throw new Malformed(Error.BAD_NAME);
            }
            total += len + 1;
            if (total > MAX_NAME) {
                throw new Malformed(Error.BAD_NAME);
            }
            if (sb.length() > 0) {
                sb.append('.');
            }
            for (int i = 0; i < len; i++) {
                char c = (char) (b.get(p + 1 + i) & 0xff);
                sb.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            }
            p += 1 + len;
        }
    }
}
