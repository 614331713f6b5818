package io.tapstack;

import io.tapstack.ip.InterfaceAddress;
import io.tapstack.wire.MacAddress;

import java.util.ArrayList;
import java.util.List;

/** Configuration of one {@link NetStack}: addresses and the tunables with their defaults. */
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

    // UDP (RFC 768, RFC 1122 §4.1)
    /** Ephemeral port range (RFC 6056 §2.1; Linux ip_local_port_range 32768–60999). */
    public int ephemeralPortLow = 32768;
    public int ephemeralPortHigh = 60999;
    /** Datagrams held per UDP socket receive queue. */
    public int udpRecvQueuePackets = 256;
    /** Payload bytes held per UDP socket receive queue (Linux rmem_default). */
    public int udpRecvQueueBytes = 212_992;

    /** Frames read per receive burst. */
    public int rxBurst = 64;
}
