package io.tapstack.tcp;

/** TCP tunables with their defaults (Linux values where one exists, in brackets). */
public final class TcpConfig {
    /** Maximum segment lifetime; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2) [Linux TIME-WAIT 60 s]. */
    public long mslNanos = 30_000_000_000L;
    /** RFC 6298 §2.1: initial RTO 1 s. */
    public long initialRtoNanos = 1_000_000_000L;
    /** RFC 6298 §2.4 says 1 s; like Linux we allow 200 ms [TCP_RTO_MIN]. */
    public long minRtoNanos = 200_000_000L;
    /** RFC 6298 §2.5: a maximum of at least 60 s [TCP_RTO_MAX 120 s]. */
    public long maxRtoNanos = 60_000_000_000L;
    /** SYN retransmissions before giving up [tcp_syn_retries 6]. */
    public int synRetries = 6;
    /** SYN-ACK retransmissions [tcp_synack_retries 5]. */
    public int synAckRetries = 5;
    /** Data retransmissions before giving up, RFC 1122 §4.2.3.5 R2 [tcp_retries2 15]. */
    public int maxRetransmits = 15;
    /** Delayed-ACK timeout (RFC 1122 §4.2.3.2: < 0.5 s; RFC 9293 §3.8.6.3: ≤ 200 ms recommended) [40 ms min]. */
    public long delayedAckNanos = 40_000_000L;
    /** Send buffer per connection (bytes). */
    public int sendBufferSize = 256 * 1024;
    /**
     * Receive buffer per connection at the start (bytes) [tcp_rmem[1]]; bounds the window and the
     * out-of-order data. Auto-tuning grows it up to {@link #receiveBufferMax} for a reader that
     * keeps up; a size set per socket ({@link TcpSocketOptions#receiveBufferSize}) is fixed, as
     * SO_RCVBUF turns Linux's auto-tuning off.
     */
    public int receiveBufferSize = 256 * 1024;
    /**
     * Receive-buffer auto-tuning (Linux's dynamic right-sizing) up to this many bytes per
     * connection [tcp_rmem[2]]; at or below {@link #receiveBufferSize}: off. The window scale
     * offered in the SYN covers it (RFC 7323 §2.3).
     */
    public int receiveBufferMax = 4 * 1024 * 1024;
    /** Out-of-order ranges kept per connection (each becomes a SACK block candidate). */
    public int maxOutOfOrderRanges = 32;
    /** Default listen backlog (completed connections waiting for accept) [somaxconn 4096]. */
    public int defaultBacklog = 512;
    /** Half-open connections per listener before SYN cookies [tcp_max_syn_backlog]. */
    public int synQueueSize = 512;
    /** RFC 4987 §3.6 SYN cookies when the SYN queue is full [tcp_syncookies 1]. */
    public boolean synCookies = true;
    /** TIME-WAIT connections kept before new ones are closed at once [tcp_max_tw_buckets]. */
    public int maxTimeWait = 65536;
    /**
     * Hand a connection's TIME-WAIT to a small record (4-tuple, sequence numbers, TS.Recent,
     * expiry: {@code Tcp.TIME_WAIT_RECORD_BYTES} of heap) and let the connection object go, once
     * nothing is left to read (issue 11, Linux's timewait socks). Off keeps the whole connection.
     */
    public boolean timeWaitRecords = true;
    /**
     * Bytes of drained send/receive rings the loop keeps for reuse ({@link RingPool}); beyond it
     * a returned ring is left to the garbage collector.
     */
    public long ringPoolBytes = 32L << 20;
    /** Connections in total (all states); beyond it new SYNs and connects fail. */
    public int maxConnections = 262144;
    /** Ephemeral port range, RFC 6056 §2.1 [ip_local_port_range 32768–60999]. */
    public int ephemeralLow = 32768;
    public int ephemeralHigh = 60999;
    /** RFC 5961 §7: challenge ACKs per second [tcp_challenge_ack_limit 1000]. */
    public int challengeAcksPerSecond = 1000;
    /** RFC 7323 timestamps, RFC 2018 SACK, window scaling: offered on our SYNs. */
    public boolean timestamps = true;
    public boolean sack = true;
    public boolean windowScaling = true;
    /** Idle time before keepalive probes (RFC 1122 §4.2.3.6: ≥ 2 h default). */
    public long keepaliveIdleNanos = 7_200_000_000_000L;
    public long keepaliveIntervalNanos = 75_000_000_000L;
    public int keepaliveProbes = 9;
    /** FIN-WAIT-2 timeout for connections the application has closed [tcp_fin_timeout 60 s]. */
    public long finWait2TimeoutNanos = 60_000_000_000L;
    /** Congestion control for new connections: "newreno" or "cubic" (per connection: {@link TcpSocketOptions#congestionControl}). */
    public String congestionControl = "cubic";
    /**
     * Loss detection and recovery when SACK is negotiated: {@code "rack"} (RFC 8985 RACK-TLP with
     * RFC 6937 PRR and D-SACK undo, the default) or {@code "rfc6675"} (DupThresh, RFC 6675's
     * pipe and NextSeg). Without SACK both use NewReno (RFC 6582).
     */
    public String lossRecovery = "rack";
    /**
     * RFC 5682 F-RTO: detect spurious retransmission timeouts on connections without timestamps
     * (with them, Eifel detection, RFC 3522, does) [tcp_frto 2].
     */
    public boolean frto = true;
    /**
     * RFC 3168 ECN: {@link EcnMode#ON} asks for it on our SYNs and accepts it, {@link EcnMode#PASSIVE}
     * accepts it when a peer's SYN asks (the default, as Linux's tcp_ecn = 2), {@link EcnMode#OFF}
     * neither [tcp_ecn].
     */
    public EcnMode ecn = EcnMode.PASSIVE;

    /** The ECN policy (RFC 3168 §6.1.1): who may ask for it. */
    public enum EcnMode {
        OFF, PASSIVE, ON
    }

    public long timeWaitNanos() {
        return 2 * mslNanos;
    }
}
