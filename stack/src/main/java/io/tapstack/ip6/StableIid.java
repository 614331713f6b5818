package io.tapstack.ip6;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Interface identifiers: RFC 7217 stable, semantically opaque identifiers (the default), and
 * modified EUI-64 from the MAC (RFC 4291 Appendix A) as the alternative.
 */
public final class StableIid {
    private StableIid() {
    }

    /**
     * RFC 7217 §5: RID = F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key) with F =
     * SHA-256 (a PRF per §5), truncated to the 64 bits of the interface identifier. Network_ID is
     * optional and not used. Identifiers that are reserved (RFC 5453) are skipped by trying the
     * next counter value (§5, "the resulting Interface Identifier ... MUST be compared against
     * the reserved IPv6 Interface Identifiers").
     *
     * @return the identifier (the first non-reserved one from {@code dadCounter} on)
     */
    public static long stable(long prefixHi, String netIface, int dadCounter, byte[] secret) {
        for (int c = dadCounter; ; c++) {
            long iid = hash(prefixHi, netIface, c, secret);
            if (!isReserved(iid)) {
                return iid;
            }
        }
    }

    static long hash(long prefixHi, String netIface, int dadCounter, byte[] secret) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(8);
            b.putLong(0, prefixHi);
            md.update(b.array());
            md.update(netIface.getBytes(StandardCharsets.UTF_8));
            b.putInt(0, dadCounter);
            md.update(b.array(), 0, 4);
            md.update(secret);
            return ByteBuffer.wrap(md.digest()).getLong(0);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is required of every JDK", e);
        }
    }

    /**
     * RFC 5453 §3: the all-zeros (Subnet-Router anycast, RFC 4291 §2.6.1) identifier and the
     * reserved subnet anycast range fdff:ffff:ffff:ff80–fdff:ffff:ffff:ffff (RFC 2526).
     */
    public static boolean isReserved(long iid) {
        return iid == 0 || (iid >>> 7) == (0xfdff_ffff_ffff_ff80L >>> 7);
    }

    /** Modified EUI-64 (RFC 4291 Appendix A): ff:fe in the middle, universal/local bit flipped. */
    public static long eui64(long mac) {
        long hi24 = (mac >>> 24) & 0xff_ffffL;
        long lo24 = mac & 0xff_ffffL;
        long iid = (hi24 << 40) | (0xfffeL << 24) | lo24;
        return iid ^ (0x02L << 56);
    }
}
