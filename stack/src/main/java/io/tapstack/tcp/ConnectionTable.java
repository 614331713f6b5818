package io.tapstack.tcp;

import java.util.function.Consumer;

/**
 * The connection table of one {@link Tcp}: open addressing with linear probing and
 * backward-shift deletion, keyed on the six fields localHi/localLo/localPort/remoteHi/
 * remoteLo/remotePort (IPv4 held IPv4-mapped, so it is dual-stack with no allocation per
 * lookup), hashed with a random seed against collision flooding. Grows by doubling at half full.
 */
final class ConnectionTable {
    private final long seed;
    private TcpConnection[] table = new TcpConnection[1024];
    private int count;

    ConnectionTable(long seed) {
        this.seed = seed;
    }

    int size() {
        return count;
    }

    /** Calls {@code f} for every connection (not on the packet path: it is for listings). */
    void forEach(Consumer<TcpConnection> f) {
        for (TcpConnection c : table) {
            if (c != null) {
                f.accept(c);
            }
        }
    }

    private int slot(long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        return hash(seed, lHi, lLo, lport, rHi, rLo, rport) & (table.length - 1);
    }

    /** The keyed hash of a 4-tuple (also {@link TimeWaitTable}'s): mask the result to a power-of-two table. */
    static int hash(long seed, long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        long h = seed;
        h ^= lHi * 0x9e3779b97f4a7c15L;
        h = Long.rotateLeft(h, 23) ^ lLo * 0xc2b2ae3d27d4eb4fL;
        h = Long.rotateLeft(h, 23) ^ rHi * 0x165667b19e3779f9L;
        h = Long.rotateLeft(h, 23) ^ rLo * 0x9e3779b97f4a7c15L;
        h = Long.rotateLeft(h, 23) ^ (((long) lport << 16) | rport) * 0xc2b2ae3d27d4eb4fL;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (int) h;
    }

    TcpConnection lookup(long lHi, long lLo, int lport, long rHi, long rLo, int rport) {
        TcpConnection[] t = table;
        int mask = t.length - 1;
        for (int i = slot(lHi, lLo, lport, rHi, rLo, rport); t[i] != null; i = (i + 1) & mask) {
            TcpConnection c = t[i];
            if (c.localPort == lport && c.remotePort == rport && c.localLo == lLo && c.remoteLo == rLo
                    && c.localHi == lHi && c.remoteHi == rHi) {
                return c;
            }
        }
        return null;
    }

    void insert(TcpConnection c) {
        if ((count + 1) * 2 > table.length) {
            TcpConnection[] old = table;
            table = new TcpConnection[old.length * 2];
            for (TcpConnection o : old) {
                if (o != null) {
                    place(o);
                }
            }
        }
        place(c);
        count++;
        c.inTable = true;
    }

    private void place(TcpConnection c) {
        int mask = table.length - 1;
        int i = slot(c.localHi, c.localLo, c.localPort, c.remoteHi, c.remoteLo, c.remotePort);
        while (table[i] != null) {
            i = (i + 1) & mask;
        }
        table[i] = c;
    }

    void remove(TcpConnection c) {
        if (!c.inTable) {
            return;
        }
        c.inTable = false;
        TcpConnection[] t = table;
        int mask = t.length - 1;
        int i = slot(c.localHi, c.localLo, c.localPort, c.remoteHi, c.remoteLo, c.remotePort);
        while (t[i] != c) {
            if (t[i] == null) {
                return;
            }
            i = (i + 1) & mask;
        }
        t[i] = null;
        count--;
        // backward-shift deletion keeps every probe chain unbroken
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            TcpConnection o = t[j];
            if (o == null) {
                return;
            }
            int home = slot(o.localHi, o.localLo, o.localPort, o.remoteHi, o.remoteLo, o.remotePort);
            boolean between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (!between) {
                t[i] = o;
                t[j] = null;
                i = j;
            }
        }
    }
}
