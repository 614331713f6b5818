package io.tapstack.ip6;

import io.tapstack.loop.Timer;
import io.tapstack.wire.Ipv6Address;

/**
 * An IPv6 address assigned to the interface, with its RFC 4862 state: TENTATIVE while
 * Duplicate Address Detection runs, PREFERRED, DEPRECATED after its preferred lifetime, or
 * DUPLICATE when DAD found another owner (it is then never used). Loop thread only.
 */
public final class LocalAddress {
    public enum State { TENTATIVE, PREFERRED, DEPRECATED, DUPLICATE }

    /** How the address was configured. */
    public enum Origin { LINK_LOCAL, STATIC, SLAAC }

    final long hi;
    final long lo;
    final int prefixLength;
    final Origin origin;
    State state = State.TENTATIVE;
    /** Loop-clock deadlines; Long.MAX_VALUE = infinite. */
    long validUntil = Long.MAX_VALUE;
    long preferredUntil = Long.MAX_VALUE;
    /** RFC 7217 DAD_Counter used to form the interface identifier. */
    int dadCounter;
    int dadProbesLeft;
    /** Runs DAD probes and, afterwards, the lifetime transitions. */
    public final Timer timer;

    public LocalAddress(long hi, long lo, int prefixLength, Origin origin, Timer.Task task) {
        this.hi = hi;
        this.lo = lo;
        this.prefixLength = prefixLength;
        this.origin = origin;
        this.timer = new Timer(task);
    }

    public long hi() {
        return hi;
    }

    public long lo() {
        return lo;
    }

    public int prefixLength() {
        return prefixLength;
    }

    public Origin origin() {
        return origin;
    }

    public State state() {
        return state;
    }

    public void setState(State s) {
        this.state = s;
    }

    public int dadCounter() {
        return dadCounter;
    }

    public void setDadCounter(int c) {
        this.dadCounter = c;
    }

    public long validUntil() {
        return validUntil;
    }

    public long preferredUntil() {
        return preferredUntil;
    }

    public void setLifetimes(long validUntil, long preferredUntil) {
        this.validUntil = validUntil;
        this.preferredUntil = preferredUntil;
    }

    public int dadProbesLeft() {
        return dadProbesLeft;
    }

    public void setDadProbesLeft(int n) {
        this.dadProbesLeft = n;
    }

    private int unsolicitedNaLeft;
    private long naDue;

    /** Unsolicited Neighbor Advertisements still to send for this address (RFC 4861 §7.2.6). */
    public int unsolicitedNaLeft() {
        return unsolicitedNaLeft;
    }

    /** When the next unsolicited advertisement is due (loop clock). */
    public long naDue() {
        return naDue;
    }

    public void setUnsolicitedNa(int left, long due) {
        this.unsolicitedNaLeft = left;
        this.naDue = due;
    }

    /** Usable as a source and accepted as a destination. */
    public boolean usable() {
        return state == State.PREFERRED || state == State.DEPRECATED;
    }

    public boolean isLinkLocal() {
        return Ipv6Address.isLinkLocal(hi);
    }

    @Override
    public String toString() {
        return Ipv6Address.toString(hi, lo) + "/" + prefixLength + " " + state.name().toLowerCase(java.util.Locale.ROOT)
                + " " + origin.name().toLowerCase(java.util.Locale.ROOT);
    }
}
