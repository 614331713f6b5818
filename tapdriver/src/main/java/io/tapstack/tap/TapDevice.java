package io.tapstack.tap;

import com.sun.jna.Memory;
import com.sun.jna.Native;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file descriptor on {@code /dev/net/tun} attached to a TAP interface ({@code TUNSETIFF},
 * see Linux Documentation/networking/tuntap.rst). Opened non-blocking.
 */
public final class TapDevice implements AutoCloseable {
    // linux/if_tun.h
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    public static final int IFF_TAP = 0x0002;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_MULTI_QUEUE = 0x0100;
    public static final int IFF_VNET_HDR = 0x4000;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;
    // linux/sockios.h
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFTXQLEN = 0x8943;
    static final long SIOCGIFHWADDR = 0x8927;
    static final int IFF_UP = 0x1;
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;

    private final String name;
    private final boolean created;
    private final int flags;
    private int fd;

    private TapDevice(String name, int fd, boolean created, int flags) {
        this.name = name;
        this.fd = fd;
        this.created = created;
        this.flags = flags;
    }

    /**
     * Attaches to (or creates) the TAP interface {@code name} in the current network namespace.
     *
     * @param extraFlags {@link #IFF_VNET_HDR} and/or {@link #IFF_MULTI_QUEUE}
     * @throws TapException with a user-facing message (no /dev/net/tun, no permission, …)
     */
    public static TapDevice open(String name, int extraFlags) {
        byte[] nb = name.getBytes(StandardCharsets.US_ASCII);
        if (nb.length == 0 || nb.length >= IFNAMSIZ || name.contains("/") || name.isBlank()) {
            throw new TapException("invalid interface name '" + name + "' (1 to 15 characters, no '/')", Errno.EINVAL);
        }
        boolean existed = Files.exists(Path.of("/sys/class/net", name));
        int fd = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            int e = Native.getLastError();
            String hint = e == Errno.ENOENT ? ": the kernel has no TUN/TAP device node (modprobe tun; mknod /dev/net/tun c 10 200)"
                    : e == Errno.EACCES || e == Errno.EPERM ? ": run as root or with CAP_NET_ADMIN" : "";
            throw new TapException("cannot open /dev/net/tun: " + Errno.describe(e) + hint, e);
        }
        int flags = IFF_TAP | IFF_NO_PI | extraFlags;
        try (Memory ifr = new Memory(IFREQ_SIZE)) {
            ifr.clear();
            ifr.write(0, nb, 0, nb.length);
            ifr.setShort(IFNAMSIZ, (short) flags);
            if (LibC.ioctl(fd, TUNSETIFF, com.sun.jna.Pointer.nativeValue(ifr)) < 0) {
                int e = Native.getLastError();
                LibC.close(fd);
                String hint = e == Errno.EPERM ? ": run as root or with CAP_NET_ADMIN"
                        : e == Errno.EBUSY ? ": another process holds it, or it is a TUN or has other flags"
                        : e == Errno.EINVAL ? ": the name is taken by a device that is not a TAP, or its multi-queue setting differs (for --queues N > 1: ip tuntap add dev NAME mode tap multi_queue)" : "";
                throw new TapException("cannot attach TAP '" + name + "': " + Errno.describe(e) + hint, e);
            }
        }
        return new TapDevice(name, fd, !existed, flags);
    }

    public String name() {
        return name;
    }

    public int fd() {
        return fd;
    }

    /** Whether this open created the interface (it then disappears when closed). */
    public boolean created() {
        return created;
    }

    public boolean vnetHeader() {
        return (flags & IFF_VNET_HDR) != 0;
    }

    /** {@code TUNSETOFFLOAD}: which offloads the kernel may use towards us (TUN_F_*). */
    public void setOffload(int tunFlags) {
        if (LibC.ioctl(fd, TUNSETOFFLOAD, tunFlags) < 0) {
            int e = Native.getLastError();
            throw new TapException("TUNSETOFFLOAD 0x" + Integer.toHexString(tunFlags) + " on " + name + ": " + Errno.describe(e), e);
        }
    }

    /** {@code TUNSETVNETHDRSZ}: the virtio-net header length (10 or 12). */
    public void setVnetHeaderSize(int size) {
        try (Memory m = new Memory(4)) {
            m.setInt(0, size);
            if (LibC.ioctl(fd, TUNSETVNETHDRSZ, com.sun.jna.Pointer.nativeValue(m)) < 0) {
                int e = Native.getLastError();
                throw new TapException("TUNSETVNETHDRSZ on " + name + ": " + Errno.describe(e), e);
            }
        }
    }

    /** Sets the interface administratively up (the kernel side), like {@code ip link set NAME up}. */
    public void setUp() {
        ifreqOnSocket((sock, ifr) -> {
            if (LibC.ioctl(sock, SIOCGIFFLAGS, com.sun.jna.Pointer.nativeValue(ifr)) < 0) {
                return Native.getLastError();
            }
            ifr.setShort(IFNAMSIZ, (short) (ifr.getShort(IFNAMSIZ) | IFF_UP));
            return LibC.ioctl(sock, SIOCSIFFLAGS, com.sun.jna.Pointer.nativeValue(ifr)) < 0 ? Native.getLastError() : 0;
        }, "set up");
    }

    /** The interface's MTU as the kernel sees it. */
    public int kernelMtu() {
        int[] mtu = new int[1];
        ifreqOnSocket((sock, ifr) -> {
            if (LibC.ioctl(sock, SIOCGIFMTU, com.sun.jna.Pointer.nativeValue(ifr)) < 0) {
                return Native.getLastError();
            }
            mtu[0] = ifr.getInt(IFNAMSIZ);
            return 0;
        }, "get MTU of");
        return mtu[0];
    }

    /** Sets the kernel-side transmit queue length (the default 1000 overflows while a reader sleeps). */
    public void setTxQueueLength(int qlen) {
        ifreqOnSocket((sock, ifr) -> {
            ifr.setInt(IFNAMSIZ, qlen);
            return LibC.ioctl(sock, SIOCSIFTXQLEN, com.sun.jna.Pointer.nativeValue(ifr)) < 0 ? Native.getLastError() : 0;
        }, "set txqueuelen of");
    }

    /** The kernel side's MAC address (48 bits). */
    public long kernelMac() {
        long[] mac = new long[1];
        ifreqOnSocket((sock, ifr) -> {
            if (LibC.ioctl(sock, SIOCGIFHWADDR, com.sun.jna.Pointer.nativeValue(ifr)) < 0) {
                return Native.getLastError();
            }
            long v = 0;
            for (int i = 0; i < 6; i++) {
                v = (v << 8) | (ifr.getByte(IFNAMSIZ + 2 + i) & 0xff);
            }
            mac[0] = v;
            return 0;
        }, "get MAC of");
        return mac[0];
    }

    private interface IfreqOp {
        int run(int sock, Memory ifr);
    }

    private void ifreqOnSocket(IfreqOp op, String what) {
        int sock = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.O_CLOEXEC, 0);
        if (sock < 0) {
            int e = Native.getLastError();
            throw new TapException("socket for ioctl: " + Errno.describe(e), e);
        }
        try (Memory ifr = new Memory(IFREQ_SIZE)) {
            ifr.clear();
            byte[] nb = name.getBytes(StandardCharsets.US_ASCII);
            ifr.write(0, nb, 0, nb.length);
            int e = op.run(sock, ifr);
            if (e != 0) {
                throw new TapException("cannot " + what + " " + name + ": " + Errno.describe(e), e);
            }
        } finally {
            LibC.close(sock);
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            LibC.close(fd);
            fd = -1;
        }
    }
}
