package io.tapstack.dhcp;

import java.nio.ByteBuffer;

/**
 * A DHCP message (RFC 2131 §2) with the options a client uses (RFC 2132): parsed from a
 * datagram into reusable fields, or written into a buffer.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * +---------------+---------------+---------------+---------------+
 * |                            xid (4)                            |
 * +-------------------------------+-------------------------------+
 * |           secs (2)            |           flags (2)           |
 * +-------------------------------+-------------------------------+
 * |  ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4)             |
 * +---------------------------------------------------------------+
 * |  chaddr (16)  |  sname (64)  |  file (128)                    |
 * +---------------------------------------------------------------+
 * |  magic cookie 99.130.83.99 (4)  |  options (variable)         |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>{@link #parse} never throws: it returns why a message is malformed, so the client drops
 * and counts it.
 */
public final class DhcpMessage {
    public static final int OP = 0;
    public static final int HTYPE = 1;
    public static final int HLEN = 2;
    public static final int XID = 4;
    public static final int SECS = 8;
    public static final int FLAGS = 10;
    public static final int CIADDR = 12;
    public static final int YIADDR = 16;
    public static final int SIADDR = 20;
    public static final int GIADDR = 24;
    public static final int CHADDR = 28;
    public static final int SNAME = 44;
    public static final int FILE = 108;
    public static final int COOKIE = 236;
    public static final int OPTIONS = 240;
    /** RFC 2131 §2: the magic cookie 99.130.83.99 (RFC 1497). */
    public static final int MAGIC = 0x63825363;
    public static final int BOOTREQUEST = 1;
    public static final int BOOTREPLY = 2;
    /** RFC 2131 §4.1: the BROADCAST bit of flags. */
    public static final int FLAG_BROADCAST = 0x8000;

    // RFC 2132 §9.6 DHCP message types
    public static final int DISCOVER = 1;
    public static final int OFFER = 2;
    public static final int REQUEST = 3;
    public static final int DECLINE = 4;
    public static final int ACK = 5;
    public static final int NAK = 6;
    public static final int RELEASE = 7;

    // RFC 2132 option codes
    public static final int OPT_PAD = 0;
    public static final int OPT_SUBNET_MASK = 1;
    public static final int OPT_ROUTER = 3;
    public static final int OPT_DNS = 6;
    public static final int OPT_HOSTNAME = 12;
    public static final int OPT_DOMAIN = 15;
    public static final int OPT_MTU = 26;
    public static final int OPT_REQUESTED_IP = 50;
    public static final int OPT_LEASE_TIME = 51;
    public static final int OPT_OVERLOAD = 52;
    public static final int OPT_MESSAGE_TYPE = 53;
    public static final int OPT_SERVER_ID = 54;
    public static final int OPT_PARAMS = 55;
    public static final int OPT_MESSAGE = 56;
    public static final int OPT_MAX_SIZE = 57;
    public static final int OPT_T1 = 58;
    public static final int OPT_T2 = 59;
    public static final int OPT_CLIENT_ID = 61;
    public static final int OPT_END = 255;

    /** Most DNS servers kept from one message. */
    public static final int MAX_DNS = 4;

    /** Why {@link #parse} rejected a message. */
    public enum Error { NONE, TRUNCATED, BAD_OP, BAD_HTYPE, BAD_COOKIE, BAD_OPTION, NO_MESSAGE_TYPE }

    public int op;
    public int xid;
    public int flags;
    public int ciaddr;
    public int yiaddr;
    public int siaddr;
    public long chaddr;
    public int messageType;
    public int serverId;
    /** Prefix length from the subnet mask option, or -1 when absent or not contiguous. */
    public int prefixLength;
    public int router;
    public final int[] dns = new int[MAX_DNS];
    public int dnsCount;
    /** Seconds, or -1 when absent; 0xffffffff (infinity) is {@link Long} 4294967295. */
    public long leaseSeconds;
    public long t1Seconds;
    public long t2Seconds;
    public int mtu;
    /** Option 50 (in a client's REQUEST or DECLINE), 0 when absent. */
    public int requestedIp;

    private void reset() {
        op = xid = flags = ciaddr = yiaddr = siaddr = requestedIp = 0;
        chaddr = 0;
        messageType = serverId = router = dnsCount = mtu = 0;
        prefixLength = -1;
        leaseSeconds = t1Seconds = t2Seconds = -1;
    }

    /** Parses {@code len} bytes at {@code off}; on anything but {@link Error#NONE} the fields are meaningless. */
    public Error parse(ByteBuffer b, int off, int len) {
        reset();
        if (len < OPTIONS) {
            return Error.TRUNCATED;
        }
        op = b.get(off + OP) & 0xff;
        if (op != BOOTREPLY && op != BOOTREQUEST) {
            return Error.BAD_OP;
        }
        if ((b.get(off + HTYPE) & 0xff) != 1 || (b.get(off + HLEN) & 0xff) != 6) {
            return Error.BAD_HTYPE; // Ethernet only (RFC 1700 hardware type 1, 6-byte addresses)
        }
        if (b.getInt(off + COOKIE) != MAGIC) {
            return Error.BAD_COOKIE;
        }
        xid = b.getInt(off + XID);
        flags = b.getShort(off + FLAGS) & 0xffff;
        ciaddr = b.getInt(off + CIADDR);
        yiaddr = b.getInt(off + YIADDR);
        siaddr = b.getInt(off + SIADDR);
        chaddr = ((b.getShort(off + CHADDR) & 0xffffL) << 32) | (b.getInt(off + CHADDR + 2) & 0xffff_ffffL);
        int overload = 0;
        int r = options(b, off + OPTIONS, off + len, true);
        if (r < 0) {
            return Error.BAD_OPTION;
        }
        overload = r;
        // RFC 2132 §9.3: option overload puts more options in file (1), sname (2) or both (3).
        if ((overload & 1) != 0 && options(b, off + FILE, off + SNAME + 64 + 128, false) < 0) {
            return Error.BAD_OPTION;
        }
        if ((overload & 2) != 0 && options(b, off + SNAME, off + SNAME + 64, false) < 0) {
            return Error.BAD_OPTION;
        }
        return messageType == 0 ? Error.NO_MESSAGE_TYPE : Error.NONE;
    }

    /**
     * Reads options in {@code [at, end)}: returns the overload value (0 if none), or -1 when an
     * option runs past the end or has a length its code does not allow.
     */
    private int options(ByteBuffer b, int at, int end, boolean main) {
        int overload = 0;
        while (at < end) {
            int code = b.get(at) & 0xff;
            if (code == OPT_END) {
                return overload;
            }
            if (code == OPT_PAD) {
                at++;
                continue;
            }
            if (at + 2 > end) {
                return -1;
            }
            int n = b.get(at + 1) & 0xff;
            int v = at + 2;
            if (v + n > end) {
                return -1;
            }
            switch (code) {
                case OPT_MESSAGE_TYPE -> {
                    if (n != 1) {
                        return -1;
                    }
                    messageType = b.get(v) & 0xff;
                }
                case OPT_SERVER_ID -> {
                    if (n != 4) {
                        return -1;
                    }
                    serverId = b.getInt(v);
                }
                case OPT_REQUESTED_IP -> {
                    if (n != 4) {
                        return -1;
                    }
                    requestedIp = b.getInt(v);
                }
                case OPT_SUBNET_MASK -> {
                    if (n != 4) {
                        return -1;
                    }
                    int m = b.getInt(v);
                    int len = Integer.bitCount(m);
                    prefixLength = m == (len == 0 ? 0 : -1 << (32 - len)) ? len : -1;
                }
                case OPT_ROUTER -> {
                    if (n < 4 || n % 4 != 0) {
                        return -1;
                    }
                    router = b.getInt(v); // RFC 2132 §3.5: listed in order of preference
                }
                case OPT_DNS -> {
                    if (n < 4 || n % 4 != 0) {
                        return -1;
                    }
                    for (int i = 0; i < n && dnsCount < MAX_DNS; i += 4) {
                        dns[dnsCount++] = b.getInt(v + i);
                    }
                }
                case OPT_LEASE_TIME, OPT_T1, OPT_T2 -> {
                    if (n != 4) {
                        return -1;
                    }
                    long s = b.getInt(v) & 0xffff_ffffL;
                    if (code == OPT_LEASE_TIME) {
                        leaseSeconds = s;
                    } else if (code == OPT_T1) {
                        t1Seconds = s;
                    } else {
                        t2Seconds = s;
                    }
                }
                case OPT_MTU -> {
                    if (n != 2) {
                        return -1;
                    }
                    mtu = b.getShort(v) & 0xffff;
                }
                case OPT_OVERLOAD -> {
                    if (n != 1 || !main) {
                        return -1;
                    }
                    overload = b.get(v) & 3;
                }
                default -> {
                    // other options: skipped
                }
            }
            at = v + n;
        }
        // RFC 2131 §4.1 asks for an end option; many servers pad to the end instead: accept.
        return overload;
    }

    // ---- writing ----

    /**
     * Writes the fixed part of a client message at {@code off} (zeroing sname and file) and the
     * message-type option; returns the offset at which further options go.
     */
    public static int emitHeader(ByteBuffer b, int off, int xid, int secs, int flags, int ciaddr, long mac, int type) {
        for (int i = 0; i < OPTIONS; i += 4) {
            b.putInt(off + i, 0);
        }
        b.put(off + OP, (byte) BOOTREQUEST);
        b.put(off + HTYPE, (byte) 1);
        b.put(off + HLEN, (byte) 6);
        b.putInt(off + XID, xid);
        b.putShort(off + SECS, (short) Math.min(secs, 0xffff));
        b.putShort(off + FLAGS, (short) flags);
        b.putInt(off + CIADDR, ciaddr);
        b.putShort(off + CHADDR, (short) (mac >>> 32));
        b.putInt(off + CHADDR + 2, (int) mac);
        b.putInt(off + COOKIE, MAGIC);
        int at = off + OPTIONS;
        b.put(at, (byte) OPT_MESSAGE_TYPE);
        b.put(at + 1, (byte) 1);
        b.put(at + 2, (byte) type);
        return at + 3;
    }

    /** Writes a 4-byte option; returns the next offset. */
    public static int emitInt(ByteBuffer b, int at, int code, int value) {
        b.put(at, (byte) code);
        b.put(at + 1, (byte) 4);
        b.putInt(at + 2, value);
        return at + 6;
    }

    /** Writes an option with the given bytes; returns the next offset. */
    public static int emitBytes(ByteBuffer b, int at, int code, byte[] value) {
        b.put(at, (byte) code);
        b.put(at + 1, (byte) value.length);
        b.put(at + 2, value);
        return at + 2 + value.length;
    }

    /** Subnet mask for a prefix length. */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }
}
