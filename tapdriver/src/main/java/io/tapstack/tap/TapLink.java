package io.tapstack.tap;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.Link;
import io.tapstack.link.Offloads;

/**
 * The stack's link over a real TAP device: non-blocking {@code read}/{@code write} of whole
 * frames straight into and out of pooled direct buffers (raw addresses, no copies, no
 * per-call allocation), and {@code ppoll} on the TAP and an {@code eventfd} so other threads
 * can wake the loop.
 */
public final class TapLink implements Link {
    private final TapDevice dev;
    private final int mtu;
    private final int efd;
    /** Most fds one {@link #await} watches: this TAP, its eventfd and other links' TAPs ({@link #awaitsAlso}). */
    private static final int MAX_POLL_FDS = 18;
    private static final int TS = 8 * MAX_POLL_FDS;
    /** struct pollfd[MAX_POLL_FDS] ({tapfd, POLLIN}, {eventfd, POLLIN}, others); then struct timespec; then 8 bytes for eventfd I/O. */
    private final Memory pollMem = new Memory(TS + 16 + 8);
    /**
     * The same memory as a direct buffer in native order: {@link #await} writes the timeout and
     * clears the revents through it (intrinsic stores, where each JNA {@code Memory} access is a
     * bounds-checked JNI call: a few of them per wake-up of the loop).
     */
    private final java.nio.ByteBuffer pollBuf = pollMem.getByteBuffer(0, TS + 16 + 8).order(java.nio.ByteOrder.nativeOrder());
    private int pollFds = 2;
    private final long pollAddr;
    private final Offloads offloads;
    private long rxErrors;
    private long txErrors;
    private long txDropped;
    private long rxTruncated;
    private volatile boolean closed;
    /** The thread whose timer slack {@link #await} has set (the event loop's). */
    private Thread slackSet;

    public TapLink(TapDevice dev, int mtu, Offloads offloads) {
        this.dev = dev;
        this.mtu = mtu;
        this.offloads = offloads;
        this.efd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (efd < 0) {
            int e = Native.getLastError();
            throw new TapException("eventfd: " + Errno.describe(e), e);
        }
        pollMem.clear();
        pollAddr = Pointer.nativeValue(pollMem);
        pollMem.setInt(0, dev.fd());
        pollMem.setShort(4, LibC.POLLIN);
        pollMem.setInt(8, efd);
        pollMem.setShort(12, LibC.POLLIN);
    }

    /**
     * Opens (or creates) the TAP {@code name} with the offloads asked for: with any offload the
     * device carries a 10-byte virtio-net header; {@code TUNSETOFFLOAD} is set every time (to 0 with
     * none), so nothing an earlier reader switched on stays on.
     *
     * @param mtu the IP MTU, or 0 for the interface's own
     */
    public static TapLink open(String name, int mtu, Offloads offloads) {
        return open(name, mtu, offloads, false);
    }

    /**
     * As {@link #open(String, int, Offloads)}; with {@code multiQueue} the fd is one queue of a
     * multi-queue TAP ({@code IFF_MULTI_QUEUE}): open it once per queue.
     */
    public static TapLink open(String name, int mtu, Offloads offloads, boolean multiQueue) {
        boolean vnet = OffloadSpec.any(offloads);
        TapDevice dev = TapDevice.open(name, (vnet ? TapDevice.IFF_VNET_HDR : 0) | (multiQueue ? TapDevice.IFF_MULTI_QUEUE : 0));
        try {
            if (vnet) {
                dev.setVnetHeaderSize(io.tapstack.link.VnetHeader.LENGTH);
            }
            // Always, also with no offload (flags 0): the device keeps what an earlier reader set,
            // and checksum offload or TSO left on would make the kernel hand a reader without the
            // virtio-net header frames with partial checksums.
            dev.setOffload(OffloadSpec.tunFlags(offloads));
            return new TapLink(dev, mtu > 0 ? mtu : dev.kernelMtu(), offloads);
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    /**
     * The fastest offloads the TAP accepts, in this order: {@code csum,tso,lro}, {@code csum,tso},
     * {@code csum}, none. A kernel that refuses a set ({@code EINVAL} from {@code TUNSETOFFLOAD} or
     * {@code TUNSETVNETHDRSZ}) makes it try the next; any other failure (no permission, no
     * {@code /dev/net/tun}) is reported as it is. {@link #offloads()} says which set was taken.
     */
    public static TapLink openFastest(String name, int mtu, boolean multiQueue) {
        TapException refused = null;
        for (String spec : FASTEST_FIRST) {
            try {
                return open(name, mtu, OffloadSpec.parse(spec), multiQueue);
            } catch (TapException e) {
                if (e.errno() != Errno.EINVAL || spec.equals("none")) {
                    throw e;
                }
                refused = e;
            }
        }
        throw refused; // not reached: "none" either opens or throws above
    }

    private static final String[] FASTEST_FIRST = {"csum,tso,lro", "csum,tso", "csum", "none"};

    public TapDevice device() {
        return dev;
    }

    @Override
    public String name() {
        return dev.name();
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public Offloads offloads() {
        return offloads;
    }

    @Override
    public boolean vnetHeader() {
        return dev.vnetHeader();
    }

    private static long address(PacketBuf p) {
        long a = p.nativeAddress;
        if (a == 0) {
            a = Pointer.nativeValue(Native.getDirectBufferPointer(p.buf()));
            p.nativeAddress = a;
        }
        return a;
    }

    @Override
    public int receive(PacketPool pool, PacketBuf[] out, int max) {
        int n = 0;
        int size = pool.smallSize() - PacketPool.DEFAULT_HEADROOM;
        while (n < max) {
            PacketBuf p = pool.allocate(size);
            if (p == null) {
                break;
            }
            int room = p.tailroom();
            long r = LibC.read(dev.fd(), address(p) + p.end(), room);
            if (r < 0) {
                int e = Native.getLastError();
                p.release();
                if (e != Errno.EAGAIN && e != Errno.EINTR) {
                    rxErrors++;
                }
                break;
            }
            if (r == 0) {
                p.release();
                break;
            }
            if (r >= room) {
                // The frame did not fit: read() cut it. Count and drop.
                rxTruncated++;
                p.release();
                continue;
            }
            p.append((int) r);
            out[n++] = p;
        }
        return n;
    }

    @Override
    public boolean transmit(PacketBuf frame) {
        long r = LibC.write(dev.fd(), address(frame) + frame.start(), frame.length());
        frame.release();
        if (r < 0) {
            int e = Native.getLastError();
            if (e == Errno.EAGAIN || e == Errno.ENOBUFS) {
                txDropped++;
            } else {
                txErrors++;
            }
            return false;
        }
        return true;
    }

    @Override
    public void await(long timeoutNanos) {
        if (closed) {
            return;
        }
        Thread me = Thread.currentThread();
        if (slackSet != me) {
            // A normal thread's timed sleeps may end up to 50 µs late (timer slack, so the kernel
            // can batch wake-ups); the loop's short sleeps before a predicted arrival need them
            // on time. Per thread, once (prctl(2) PR_SET_TIMERSLACK; 1 ns, 0 would mean "default").
            LibC.prctl(LibC.PR_SET_TIMERSLACK, 1, 0, 0, 0);
            slackSet = me;
        }
        long ts = pollAddr + TS;
        pollBuf.putLong(TS, timeoutNanos / 1_000_000_000L);
        pollBuf.putLong(TS + 8, timeoutNanos % 1_000_000_000L);
        for (int i = 0; i < pollFds; i++) {
            pollBuf.putShort(8 * i + 6, (short) 0);
        }
        int r = LibC.ppoll(pollAddr, pollFds, ts, 0);
        if (r > 0 && (pollBuf.getShort(14) & LibC.POLLIN) != 0) {
            LibC.read(efd, pollAddr + TS + 16, 8);
        }
    }

    /**
     * Makes {@link #await} also return when {@code other} (another TAP, served by the same event
     * loop, as a router's interfaces are) has a frame to read. Call before the loop starts.
     */
    @Override
    public boolean awaitsAlso(Link other) {
        if (!(other instanceof TapLink t) || pollFds >= MAX_POLL_FDS) {
            return false;
        }
        pollMem.setInt(8L * pollFds, t.dev.fd());
        pollMem.setShort(8L * pollFds + 4, LibC.POLLIN);
        pollFds++;
        return true;
    }

    private static final ThreadLocal<Memory> WAKE = ThreadLocal.withInitial(() -> {
        Memory m = new Memory(8);
        m.setLong(0, 1);
        return m;
    });

    @Override
    public void wakeup() {
        if (!closed) {
            LibC.write(efd, Pointer.nativeValue(WAKE.get()), 8);
        }
    }

    public long rxErrors() {
        return rxErrors;
    }

    public long txErrors() {
        return txErrors;
    }

    public long txDropped() {
        return txDropped;
    }

    public long rxTruncated() {
        return rxTruncated;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(efd);
            dev.close();
        }
    }
}
