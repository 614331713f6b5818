package io.tapstack.wire;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** A 48-bit IEEE 802 MAC address, held as the low 48 bits of a long. Immutable. */
public final class MacAddress {
    public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);
    public static final MacAddress ZERO = new MacAddress(0L);

    private final long bits;

    private MacAddress(long bits) {
        this.bits = bits & 0xffff_ffff_ffffL;
    }

    public static MacAddress of(long bits) {
        return new MacAddress(bits);
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (or with '-'); throws IllegalArgumentException. */
    public static MacAddress parse(String s) {
        // limit -1 keeps trailing empty parts, so "…:01:" is rejected rather than silently accepted
        String[] parts = s.trim().split("[:-]", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("invalid MAC address '" + s + "': need six hex octets like 02:00:00:00:00:01");
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 2 || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 0x80)) {
                throw new IllegalArgumentException("invalid MAC address '" + s + "'");
            }
            int o;
            try {
                o = Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid MAC address '" + s + "'");
            }
            v = (v << 8) | o;
        }
        return new MacAddress(v);
    }

    /** A random locally administered unicast address (02:xx:...). */
    public static MacAddress randomLocal() {
        long r = ThreadLocalRandom.current().nextLong() & 0xffff_ffff_ffffL;
        r = (r & ~(0x03L << 40)) | (0x02L << 40);
        return new MacAddress(r);
    }

    public static long read(ByteBuffer b, int off) {
        return ((long) (b.getShort(off) & 0xffff) << 32) | (b.getInt(off + 2) & 0xffff_ffffL);
    }

    public static void write(ByteBuffer b, int off, long mac) {
        b.putShort(off, (short) (mac >>> 32));
        b.putInt(off + 2, (int) mac);
    }

    public long bits() {
        return bits;
    }

    public boolean isMulticast() {
        return isMulticast(bits);
    }

    public static boolean isMulticast(long bits) {
        return ((bits >>> 40) & 1) != 0;
    }

    public boolean isBroadcast() {
        return bits == 0xffff_ffff_ffffL;
    }

    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (bits >>> (40 - 8 * i));
        }
        return b;
    }

    public static String toString(long bits) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(String.format(Locale.ROOT, "%02x", (bits >>> (40 - 8 * i)) & 0xff));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toString(bits);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && m.bits == bits;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bits);
    }
}
