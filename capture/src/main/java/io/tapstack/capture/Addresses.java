package io.tapstack.capture;

/** Literal address parsing for the filter compiler (no name resolution, ever). */
final class Addresses {
    private Addresses() {}

    /**
     * A dotted IPv4 address with 1 to 4 decimal parts; returns {value, bitsGiven}: "10.1" is
     * {0x0a01, 16}. libpcap (nametoaddr.c pcapint_atoin) semantics; null if not one.
     */
    static long[] parseIpv4Partial(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length < 1 || parts.length > 4) return null;
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9')) return null;
            int b = Integer.parseInt(p);
            if (b > 255) return null;
            v = (v << 8) | b;
        }
        return new long[] {v, parts.length * 8L};
    }

    /** Exactly four dotted parts as an int, or null. */
    static Integer parseIpv4(String s) {
        long[] p = parseIpv4Partial(s);
        return p == null || p[1] != 32 ? null : (int) p[0];
    }

    /** An IPv6 literal (RFC 4291 §2.2 text forms, including a trailing dotted quad) as 16 bytes, or null. */
    static byte[] parseIpv6(String s) {
        if (s.isEmpty() || s.length() > 45) return null;
        int dbl = s.indexOf("::");
        if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return null;
        String head = dbl >= 0 ? s.substring(0, dbl) : s;
        String tail = dbl >= 0 ? s.substring(dbl + 2) : "";
        int[] h = groups(head), t = groups(tail);
        if (h == null || t == null) return null;
        int total = h.length + t.length;
        if (dbl < 0 && total != 8) return null;
        if (dbl >= 0 && total > 7) return null;
        int[] all = new int[8];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(t, 0, all, 8 - t.length, t.length);
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            out[2 * i] = (byte) (all[i] >>> 8);
            out[2 * i + 1] = (byte) all[i];
        }
        return out;
    }

    private static int[] groups(String s) {
        if (s.isEmpty()) return new int[0];
        String[] p = s.split(":", -1);
        int extra = 0;
        String last = p[p.length - 1];
        Integer v4 = last.indexOf('.') >= 0 ? parseIpv4(last) : null;
        if (last.indexOf('.') >= 0 && v4 == null) return null;
        if (v4 != null) extra = 1;
        int[] out = new int[p.length + extra];
        for (int i = 0; i < p.length - (v4 != null ? 1 : 0); i++) {
            String g = p[i];
            if (g.isEmpty() || g.length() > 4) return null;
            for (char ch : g.toCharArray()) if (Character.digit(ch, 16) < 0) return null;
            out[i] = Integer.parseInt(g, 16);
        }
        if (v4 != null) {
            out[p.length - 1] = v4 >>> 16;
            out[p.length] = v4 & 0xffff;
        }
        return out;
    }

    /** A MAC address as xx:xx:xx:xx:xx:xx, xx-xx-xx-xx-xx-xx (1-2 hex digits each) or xxxx.xxxx.xxxx; or null. */
    static byte[] parseMac(String s) {
        String[] p;
        if (s.indexOf(':') >= 0) p = s.split(":", -1);
        else if (s.indexOf('-') >= 0) p = s.split("-", -1);
        else if (s.indexOf('.') >= 0) {
            String[] q = s.split("\\.", -1);
            if (q.length != 3) return null;
            byte[] out = new byte[6];
            for (int i = 0; i < 3; i++) {
                if (q[i].length() != 4 || !isHex(q[i])) return null;
                int v = Integer.parseInt(q[i], 16);
                out[2 * i] = (byte) (v >>> 8);
                out[2 * i + 1] = (byte) v;
            }
            return out;
        } else return null;
        if (p.length != 6) return null;
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (p[i].isEmpty() || p[i].length() > 2 || !isHex(p[i])) return null;
            out[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return out;
    }

    private static boolean isHex(String s) {
        for (char ch : s.toCharArray()) if (Character.digit(ch, 16) < 0) return false;
        return true;
    }
}
