package io.tapstack.tap;

import io.tapstack.link.Offloads;

import java.util.Locale;

/**
 * The {@code --offload} list: {@code none} or any of {@code csum}, {@code tso}, {@code lro}.
 *
 * <ul>
 *   <li>{@code csum}: we send partial TCP/UDP checksums for the kernel to finish, and accept
 *       partial ones ({@code TUN_F_CSUM});</li>
 *   <li>{@code tso}: we send TCP segments of up to 64 KiB for the kernel to cut to MSS;</li>
 *   <li>{@code lro}: the kernel may hand us TCP frames of up to 64 KiB
 *       ({@code TUN_F_TSO4|TUN_F_TSO6}, which the kernel accepts only with {@code TUN_F_CSUM}).</li>
 * </ul>
 * Any offload needs the virtio-net header ({@code IFF_VNET_HDR}); {@code none} runs without it.
 */
public final class OffloadSpec {
    private OffloadSpec() {
    }

    public static Offloads parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("none")) {
            return Offloads.NONE;
        }
        boolean csum = false;
        boolean tso = false;
        boolean lro = false;
        for (String part : s.split(",")) {
            switch (part.trim()) {
                case "csum" -> csum = true;
                case "tso" -> tso = true;
                case "lro" -> lro = true;
                case "all" -> {
                    csum = true;
                    tso = true;
                    lro = true;
                }
                default -> throw new IllegalArgumentException("unknown offload '" + part.trim()
                        + "' (use none, or a list of csum, tso, lro)");
            }
        }
        return new Offloads(csum, csum || lro, tso, tso, lro);
    }

    public static boolean any(Offloads o) {
        return o.txChecksum() || o.rxChecksum() || o.tso4() || o.tso6() || o.lro();
    }

    /** The TUNSETOFFLOAD flags for what we accept from the kernel. */
    public static int tunFlags(Offloads o) {
        int f = 0;
        if (o.rxChecksum() || o.lro()) {
            f |= TapDevice.TUN_F_CSUM;
        }
        if (o.lro()) {
            f |= TapDevice.TUN_F_TSO4 | TapDevice.TUN_F_TSO6;
        }
        return f;
    }

    public static String format(Offloads o) {
        if (!any(o)) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        if (o.txChecksum()) {
            sb.append("csum,");
        }
        if (o.tso4()) {
            sb.append("tso,");
        }
        if (o.lro()) {
            sb.append("lro,");
        }
        return sb.substring(0, sb.length() - 1);
    }
}
