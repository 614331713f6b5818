package io.tapstack.wire;

/**
 * IPv4 addresses as {@code int}s in network order (the first octet in the top byte), so the
 * packet path never allocates. Helpers to parse, print and classify them.
 */
public final class Ipv4Address {
    public static final int ANY = 0;
    public static final int BROADCAST = 0xffff_ffff;

    private Ipv4Address() {
    }

    /** Parses dotted-quad notation; throws IllegalArgumentException with a clear message. */
    public static int parse(String s) {
        String[] p = s.trim().split("\\.", -1);
        if (p.length != 4) {
            throw new IllegalArgumentException("invalid IPv4 address '" + s + "'");
        }
        int v = 0;
        for (String o : p) {
            if (o.isEmpty() || o.length() > 3 || !o.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("invalid IPv4 address '" + s + "'");
            }
            int n = Integer.parseInt(o);
            if (n > 255) {
                throw new IllegalArgumentException("invalid IPv4 address '" + s + "': octet " + n + " > 255");
            }
            v = (v << 8) | n;
        }
        return v;
    }

    public static String toString(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** 224.0.0.0/4, RFC 1112. */
    public static boolean isMulticast(int a) {
        return (a >>> 28) == 0xe;
    }

    /** 127.0.0.0/8. */
    public static boolean isLoopback(int a) {
        return (a >>> 24) == 127;
    }

    /** 240.0.0.0/4 (reserved, class E), excluding the limited broadcast. */
    public static boolean isClassE(int a) {
        return (a >>> 28) == 0xf && a != BROADCAST;
    }

    /** 0.0.0.0/8: "this network" (RFC 1122 §3.2.1.3), valid only as a source during boot. */
    public static boolean isThisNetwork(int a) {
        return (a >>> 24) == 0;
    }
}
