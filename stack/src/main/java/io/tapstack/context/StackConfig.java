package io.tapstack.context;

import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.MacAddress;

import java.util.ArrayList;
import java.util.List;

/**
 * Configuration of one {@link io.tapstack.NetStack}: addresses and the tunables with their
 * defaults. Protocols read it (it is handed to each at construction); it lives in this leaf
 * package so that reading it does not make a protocol depend on the stack.
 */
public final class StackConfig {
    /** The stack's own MAC (the TAP's kernel side has a different one). */
    public MacAddress mac = MacAddress.randomLocal();
    /** L3 MTU; 0 = the link's. */
    public int mtu;
    public final List<InterfaceAddress> ipv4 = new ArrayList<>();
    /** Default IPv4 gateway, 0 for none. */
    public int gateway4;
    /** Default TTL (RFC 1700 / Linux ip_default_ttl). */
    public int ttl = 64;

    // ARP (RFC 826, RFC 1122 §2.3.2.1)
    /** Maximum entries in the ARP cache. */
    public int arpCacheSize = 1024;
    /** How long an entry is trusted after it was learnt (Linux: base_reachable_time 30 s, randomised; gc_stale 60 s). */
    public long arpReachableNanos = 60_000_000_000L;
    /** Interval between requests for one unresolved address (RFC 1122 §2.3.2.1: at most one per second). */
    public long arpRetransmitNanos = 1_000_000_000L;
    /** Requests sent for one address before giving up. */
    public int arpMaxProbes = 3;
    /** Packets held per unresolved address (RFC 1122 §2.3.2.2: SHOULD save at least one). */
    public int arpPendingPerEntry = 8;
    /** Packets held for all unresolved addresses together. */
    public int arpPendingTotal = 256;

    // IPv4 reassembly (RFC 791, RFC 815, RFC 1122 §3.3.2)
    public long reassemblyTimeoutNanos = 30_000_000_000L;
    public int reassemblyMaxDatagrams = 64;
    public int reassemblyMaxBytes = 4 << 20;
    public int reassemblyMaxFragmentsPerDatagram = 128;

    // ICMP error rate limit (RFC 1812 §4.3.2.8, RFC 1122 §3.2.2): token bucket
    public int icmpErrorsPerSecond = 1000;
    public int icmpErrorBurst = 50;
    /** Answer echo requests sent to broadcast/multicast (Linux icmp_echo_ignore_broadcasts=1: no). */
    public boolean icmpEchoBroadcast = false;

    /** Coalesce in-order TCP segments of a receive burst in software (GRO). */
    public boolean softwareGro = true;
    /**
     * Deliver datagrams to the host's own addresses and to 127.0.0.0/8 and ::1 internally
     * instead of sending them to the link (RFC 1122 §3.3.6 spirit), so a client and a server
     * in the same host can talk.
     */
    public boolean localDelivery = true;

    // UDP (RFC 768, RFC 1122 §4.1)
    /** Ephemeral port range (RFC 6056 §2.1; Linux ip_local_port_range 32768–60999). */
    public int ephemeralPortLow = 32768;
    public int ephemeralPortHigh = 60999;
    /** Datagrams held per UDP socket receive queue. */
    public int udpRecvQueuePackets = 256;
    /** Payload bytes held per UDP socket receive queue (Linux rmem_default). */
    public int udpRecvQueueBytes = 212_992;

    // IPv6 (RFC 8200, RFC 4861, RFC 4862)
    /** Run IPv6 at all (EtherType 0x86DD is dropped when false). */
    public boolean ipv6Enabled = true;
    /** Static IPv6 addresses with their prefix (the prefix is on-link); each goes through DAD. */
    public final List<Ipv6InterfaceAddress> ipv6 = new ArrayList<>();
    /** Form a link-local address at start (RFC 4862 §5.3). */
    public boolean ipv6LinkLocal = true;
    /** Send Router Solicitations and autoconfigure addresses from RA prefixes (SLAAC, RFC 4862 §5.5). */
    public boolean ipv6Auto = true;
    /** Static IPv6 default router (a link-local or on-link address), or null to rely on RAs. */
    public IpAddr gateway6;
    /** Default hop limit (RFC 8200 §3; Linux hop_limit 64) until an RA sets CurHopLimit. */
    public int hopLimit = 64;
    /** RFC 7217 stable interface identifiers (default) instead of modified EUI-64. */
    public boolean ipv6StableIids = true;
    /** RFC 7217 secret_key (at least 128 bits); random per configuration unless set. */
    public byte[] ipv6StableSecret = randomSecret();
    /** Most addresses formed by SLAAC. */
    public int ipv6MaxAutoAddresses = 16;
    /** DupAddrDetectTransmits (RFC 4862 §5.1); 0 disables DAD. */
    public int dadTransmits = 1;
    /** RetransTimer (RFC 4861 §10: RETRANS_TIMER 1 s). */
    public long ndRetransNanos = 1_000_000_000L;
    /** BaseReachableTime (RFC 4861 §10: REACHABLE_TIME 30 s). */
    public long ndBaseReachableNanos = 30_000_000_000L;
    /** DELAY_FIRST_PROBE_TIME (RFC 4861 §10: 5 s). */
    public long ndDelayFirstProbeNanos = 5_000_000_000L;
    /** MAX_MULTICAST_SOLICIT / MAX_UNICAST_SOLICIT (RFC 4861 §10: 3 each). */
    public int ndMaxMulticastSolicit = 3;
    public int ndMaxUnicastSolicit = 3;
    /** Neighbour cache entries. */
    public int ndCacheSize = 1024;
    /** Packets held per unresolved neighbour, and for all together. */
    public int ndPendingPerEntry = 8;
    public int ndPendingTotal = 256;
    /** Default routers and on-link prefixes kept from RAs. */
    public int ndMaxRouters = 8;
    public int ndMaxPrefixes = 16;
    /** MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL, MAX_RTR_SOLICITATION_DELAY (RFC 4861 §10). */
    public int rtrSolicitations = 3;
    public long rtrSolicitationIntervalNanos = 4_000_000_000L;
    public long rtrSolicitationDelayNanos = 1_000_000_000L;
    /** IPv6 reassembly timeout (RFC 8200 §4.5: 60 s); the other reassembly bounds are shared with IPv4. */
    public long ipv6ReassemblyTimeoutNanos = 60_000_000_000L;
    /** Path MTU cache entries and aging (RFC 8201 §4: at least 5 min, 10 recommended). */
    public int pmtuCacheSize = 1024;
    public long pmtuAgingNanos = 600_000_000_000L;
    /** Answer echo requests sent to a multicast group (RFC 4443 §4.2 SHOULD; Linux does). */
    public boolean icmp6EchoMulticast = true;
    /** Seed of the stack's random numbers (0 = unpredictable); tests fix it for determinism. */
    public long seed;

    /**
     * Bytes this stack may hold for what peers make it grow (socket rings, reassembly, half-open,
     * established and TIME-WAIT connections): its {@link io.tapstack.buffer.MemoryBudget}. 0 = the
     * default, half the JVM's maximum heap ({@link io.tapstack.buffer.MemoryBudget#defaultLimit()}).
     */
    public long memLimit;

    /** Frames read per receive burst. */
    public int rxBurst = 64;

    private static byte[] randomSecret() {
        byte[] k = new byte[32];
        new java.security.SecureRandom().nextBytes(k);
        return k;
    }
}
