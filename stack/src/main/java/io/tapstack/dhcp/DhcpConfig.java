package io.tapstack.dhcp;

/**
 * Timing of the DHCP client. The defaults are the RFCs' (RFC 2131 §4.1, §4.4.5; RFC 5227 §1.1)
 * except the initial delay (see {@link #initialDelayMaxNanos}); tests shorten them.
 */
public final class DhcpConfig {
    /**
     * Random wait before the first DISCOVER. RFC 2131 §4.4.1 suggests 1–10 s to desynchronise
     * clients that start together; a host started by hand waits at most 1 s (as dhcpcd does).
     */
    public long initialDelayMaxNanos = 1_000_000_000L;
    /** RFC 2131 §4.1: first retransmission after 4 s, doubling to 64 s, each randomised by ±1 s. */
    public long retransmitBaseNanos = 4_000_000_000L;
    public long retransmitMaxNanos = 64_000_000_000L;
    public long retransmitJitterNanos = 1_000_000_000L;
    /** REQUESTs sent in REQUESTING before starting over with a DISCOVER. */
    public int requestAttempts = 4;
    /** RFC 2131 §4.4.5: in RENEWING and REBINDING wait half the remaining time, at least 60 s. */
    public long renewRetransmitMinNanos = 60_000_000_000L;
    /** RFC 2131 §3.1 step 5: after a DECLINE wait at least 10 s before starting over. */
    public long declineWaitNanos = 10_000_000_000L;
    /** RFC 2131 §2.2 / RFC 5227: probe the offered address with ARP before using it. */
    public boolean arpProbe = true;
    /** RFC 5227 §1.1: PROBE_WAIT 1 s, PROBE_NUM 3, PROBE_MIN 1 s, PROBE_MAX 2 s, ANNOUNCE_WAIT 2 s. */
    public long probeWaitNanos = 1_000_000_000L;
    public int probeNum = 3;
    public long probeMinNanos = 1_000_000_000L;
    public long probeMaxNanos = 2_000_000_000L;
    public long announceWaitNanos = 2_000_000_000L;
    /** RFC 5227 §1.1: ANNOUNCE_NUM 2, ANNOUNCE_INTERVAL 2 s. */
    public int announceNum = 2;
    public long announceIntervalNanos = 2_000_000_000L;
}
