#!/usr/bin/python3
"""Crafted frames for FilterVerdictIT (scapy; nothing is sent anywhere).

  verdict_frames.py OUT.pcap SEED COUNT

Writes COUNT-ish seeded, well-formed or deliberately odd Ethernet frames to a pcap file:
IPv4 (options, fragments first/middle/last, every transport the filters name), IPv6 (hop-by-hop,
routing, destination options and fragment headers before TCP/UDP/ICMPv6), ARP and RARP,
802.1Q/802.1ad/0x9100 tags (single and stacked), LLDP, and addresses/ports/TTLs/flags taken
from the expressions the test compiles, so that most primitives see both verdicts. Then, from a
second seeded stream (so the frames above stay the same), one frame in ten more: MPLS label stacks
(RFC 3032) over IPv4, IPv6 and junk, PPPoE discovery and session frames (RFC 2516) carrying PPP
IPv4, IPv6 and MPLS, and such frames inside VLAN tags. From a third stream, one frame in ten more:
header chains for protochain: IPv6 extension headers (RFC 8200 §4) and AH (RFC 4302), one to ten
of them, in IPv4 and IPv6, some inside a VLAN tag, some ending in "no next header". From a
fourth stream, one frame in ten more: Geneve (RFC 8926, UDP port 6081) over IPv4 (with and
without IP options, some later fragments) and IPv6, some inside a VLAN tag, with 0 to 63 words of
options, version 0 or 1, an inner Ethernet frame (0x6558), bare IPv4/IPv6 or an unknown protocol
type, some wrong ports, some Geneve inside Geneve.
"""
import random
import sys

from scapy.all import (ARP, Dot1Q, Ether, ICMP, IP, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, ICMPv6EchoReply, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RS, Raw, TCP, UDP, fragment, wrpcap)
from scapy.layers.sctp import SCTP
from scapy.layers.inet import IPOption_RR
from scapy.layers.ppp import PPP, PPPoE, PPPoED
from scapy.contrib.mpls import MPLS

MACS = ["02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:02", "02:00:00:00:00:01",
        "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "33:33:00:00:00:01", "33:33:ff:00:00:02", "00:11:22:33:44:55"]
V4 = ["10.0.0.1", "10.0.0.2", "1.2.3.4", "8.8.8.8", "10.1.2.3", "10.2.0.1", "192.168.1.1", "192.169.0.1",
      "224.0.0.1", "239.1.2.3", "255.255.255.255", "10.0.0.255", "127.0.0.1", "0.0.0.0", "172.16.0.1"]
V6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::5", "2001:db9::1", "fe80::1", "fe80::2", "ff02::1",
      "ff02::1:ff00:2", "fd00::1", "fd00::2", "::1", "ff05::2"]
PORTS = [80, 443, 53, 22, 7, 9, 1, 1023, 1024, 1025, 50, 55, 60, 61, 89, 90, 91, 100, 40000, 40005,
         40010, 40011, 65535, 12345]
TPIDS = [0x8100, 0x88a8, 0x9100]


def pick(r, xs):
    return xs[r.randrange(len(xs))]


def eth(r, ptype=None):
    e = Ether(src=pick(r, MACS), dst=pick(r, MACS))
    if ptype is not None:
        e.type = ptype
    return e


def l4(r, v6=False):
    k = r.randrange(10)
    pay = Raw(bytes(r.randrange(256) for _ in range(r.choice([0, 1, 8, 20, 100, 600]))))
    if k < 4:
        flags = r.choice(["S", "SA", "A", "PA", "F", "FA", "R", "RA", "", "SF", "U", "E", "C"])
        t = TCP(sport=pick(r, PORTS), dport=pick(r, PORTS), flags=flags, seq=r.randrange(1 << 32))
        if r.randrange(4) == 0:
            t.options = [("MSS", 1460), ("NOP", None), ("WScale", 7)]
        return t / pay
    if k < 7:
        return UDP(sport=pick(r, PORTS), dport=pick(r, PORTS)) / pay
    if k < 8:
        return SCTP(sport=pick(r, PORTS), dport=pick(r, PORTS)) / pay
    if v6:
        return pick(r, [ICMPv6EchoRequest(id=r.randrange(65536), seq=1) / pay, ICMPv6EchoReply() / pay,
                        ICMPv6ND_NS(tgt=pick(r, V6)), ICMPv6ND_NA(tgt=pick(r, V6)), ICMPv6ND_RS()])
    return ICMP(type=pick(r, [0, 8, 3, 11, 5, 13]), code=pick(r, [0, 1, 3, 4])) / pay


def ipv4(r):
    ip = IP(src=pick(r, V4), dst=pick(r, V4), ttl=pick(r, [1, 63, 64, 65, 128, 255]), id=r.randrange(65536))
    if r.randrange(8) == 0:
        ip.options = [IPOption_RR(routers=["1.1.1.1"])]
    k = r.randrange(12)
    if k == 0:
        return ip / Raw(b"\x11\x22\x33\x44" * 5), 2  # IGMP-ish / unknown protocol below
    if k == 1:
        ip.proto = pick(r, [2, 47, 50, 89, 253])
        return ip / Raw(bytes(r.randrange(256) for _ in range(24))), 0
    return ip / l4(r), 0


def ipv6(r):
    ip = IPv6(src=pick(r, V6), dst=pick(r, V6), hlim=pick(r, [1, 64, 255]))
    k = r.randrange(8)
    up = l4(r, v6=True)
    if k == 0:
        return ip / IPv6ExtHdrHopByHop() / up
    if k == 1:
        return ip / IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / up
    if k == 2:
        return ip / IPv6ExtHdrDestOpt() / up
    if k == 3:
        return ip / IPv6ExtHdrFragment(id=r.randrange(1 << 32), m=r.randrange(2), offset=pick(r, [0, 0, 8, 100])) / up
    if k == 4:
        return ip / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(offset=0) / up
    return ip / up


def arp(r):
    a = ARP(op=pick(r, [1, 2, 3, 4, 9]), psrc=pick(r, V4), pdst=pick(r, V4), hwsrc=pick(r, MACS))
    return Ether(src=pick(r, MACS), dst=pick(r, MACS), type=pick(r, [0x0806, 0x0806, 0x8035])) / a


def frame(r):
    k = r.randrange(20)
    if k < 8:
        p, _ = ipv4(r)
        return [eth(r) / p]
    if k < 10:
        # IPv4 fragments of a datagram that needs several
        p = IP(src=pick(r, V4), dst=pick(r, V4), id=r.randrange(65536)) / l4(r)
        p = p / Raw(b"f" * r.choice([64, 300, 1600]))
        frags = fragment(p, fragsize=pick(r, [8, 16, 24, 200, 512]))
        e = eth(r)
        return [e.copy() / f for f in frags[:4]]
    if k < 14:
        return [eth(r) / ipv6(r)]
    if k < 16:
        return [arp(r)]
    if k < 19:
        # VLAN-tagged, one or two tags, any TPID, any payload
        inner = pick(r, [lambda: ipv4(r)[0], lambda: ipv6(r), lambda: ARP(psrc=pick(r, V4), pdst=pick(r, V4))])()
        tags = [Dot1Q(vlan=pick(r, [0, 1, 5, 100, 200, 4095]), prio=r.randrange(8)) for _ in range(r.choice([1, 1, 2]))]
        p = tags[-1] / inner
        for t in reversed(tags[:-1]):
            p = t / p
        e = eth(r, pick(r, TPIDS))
        f = e / p
        raw = bytearray(bytes(f))
        # an inner tag gets a TPID of its own choice too
        if len(tags) == 2:
            raw[16:18] = pick(r, TPIDS).to_bytes(2, "big")
        return [Ether(bytes(raw))]
    # LLDP / unknown EtherTypes / 802.3 length field
    e = eth(r, pick(r, [0x88cc, 0x88cc, 0x0026, 0x0042, 0x1234, 0x05dc, 0x0600]))
    return [e / Raw(bytes(r.randrange(256) for _ in range(r.choice([10, 46, 100]))))]


def labels(r, inner_kind):
    """An MPLS label stack of 1-3 entries; the bottom-of-stack bit is usually (not always) right."""
    n = r.choice([1, 1, 2, 3])
    stack = None
    for i in range(n):
        last = i == n - 1
        m = MPLS(label=pick(r, [0, 1, 2, 16, 100, 1024, 100000, 1048575]), ttl=pick(r, [1, 64, 255]),
                 s=(1 if last else 0) if r.randrange(8) else r.randrange(2), cos=r.randrange(8))
        stack = m if stack is None else stack / m
    return stack


def encapsulated(r):
    k = r.randrange(7)
    inner = pick(r, [lambda: ipv4(r)[0], lambda: ipv6(r), lambda: Raw(bytes(r.randrange(256) for _ in range(30)))])()
    if k < 3:
        f = eth(r, 0x8847) / labels(r, k) / inner
    elif k < 5:
        proto = pick(r, [0x0021, 0x0021, 0x0057, 0x0281, 0xc021, 0x8021])
        ppp_payload = labels(r, 0) / inner if proto == 0x0281 else inner
        f = eth(r, 0x8864) / PPPoE(sessionid=pick(r, [0, 7, 0x27, 65535]), code=0) / PPP(proto=proto) / ppp_payload
    elif k < 6:
        f = eth(r, 0x8863) / PPPoED(code=pick(r, [0x09, 0x07, 0x19, 0x65]), sessionid=pick(r, [0, 7])) / Raw(b"\x01\x01\x00\x00")
    else:
        f = eth(r, pick(r, TPIDS)) / Dot1Q(vlan=pick(r, [5, 100])) / MPLS(label=100, s=1) / inner
        raw = bytearray(bytes(f))
        raw[16:18] = (0x8847).to_bytes(2, "big")
        return Ether(bytes(raw))
    return Ether(bytes(f))


def ah(nh, words):
    """An AH header (RFC 4302 §2.2): payload length in 32-bit words minus 2, SPI, sequence, ICV."""
    return bytes([nh, words, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) + bytes(4 * (words + 2) - 12)


def chain(r):
    """An IPv4 or IPv6 packet whose upper layer sits behind a chain of AH/extension headers."""
    nh, payload = pick(r, [(6, bytes(TCP(sport=40000, dport=pick(r, PORTS), flags="S"))),
                           (17, bytes(UDP(sport=53, dport=pick(r, PORTS)))), (58, bytes(ICMPv6EchoRequest())),
                           (1, bytes(ICMP())), (59, b""), (50, bytes(16))])
    v6 = r.randrange(3) > 0
    kinds = [pick(r, [0, 60, 43, 44, 51] if v6 else [51]) for _ in range(pick(r, [1, 1, 2, 3, 4, 6, 9, 10]))]
    for k in reversed(kinds):
        if k == 51:
            payload = ah(nh, pick(r, [1, 4, 4, 6])) + payload
        elif k == 44:
            payload = bytes([nh, 0, 0, pick(r, [0, 1, 8]), 0, 0, 0, 7]) + payload
        else:
            n8 = pick(r, [0, 0, 1])
            payload = bytes([nh, n8, 1, 4 + 8 * n8]) + bytes(4 + 8 * n8) + payload
        nh = k
    ip = IPv6(src=pick(r, V6), dst=pick(r, V6), nh=nh) if v6 else IP(src=pick(r, V4), dst=pick(r, V4), proto=nh)
    if r.randrange(5) == 0:
        return eth(r, pick(r, TPIDS)) / Dot1Q(vlan=100) / ip / Raw(payload)
    return eth(r) / ip / Raw(payload)


def geneve(r, depth=0):
    """A Geneve header (RFC 8926 §3.4: version, option length in 4-byte words, protocol type, VNI) and payload."""
    ver = 0 if r.randrange(8) else 1
    words = pick(r, [0, 0, 0, 1, 2, 5, 63])
    proto = pick(r, [0x6558, 0x6558, 0x6558, 0x0800, 0x86dd, 0x1234])
    vni = pick(r, [0, 7, 42, 100, 16777215])
    hdr = bytes([ver << 6 | words, pick(r, [0, 0x40, 0x80]), proto >> 8, proto & 0xff,
                 vni >> 16, (vni >> 8) & 0xff, vni & 0xff, 0])
    opts = bytes(r.randrange(256) for _ in range(4 * words))
    if proto == 0x6558:
        if depth == 0 and r.randrange(10) == 0:
            inner = bytes(eth(r, 0x0800) / IP(src=pick(r, V4), dst=pick(r, V4)) / UDP(sport=50001, dport=6081)
                          / Raw(geneve(r, 1)))
        else:
            inner = bytes(pick(r, [lambda: eth(r) / ipv4(r)[0], lambda: eth(r) / ipv6(r), lambda: arp(r)])())
    elif proto == 0x0800:
        inner = bytes(ipv4(r)[0])
    elif proto == 0x86dd:
        inner = bytes(ipv6(r))
    else:
        inner = bytes(r.randrange(256) for _ in range(20))
    return hdr + opts + inner


def geneve_frame(r):
    """Geneve in UDP (mostly to port 6081) over IPv4 or IPv6, sometimes VLAN-tagged."""
    sport, dport = pick(r, [50000, 12345, 6081]), 6081 if r.randrange(6) else pick(r, [4789, 53])
    udp = UDP(sport=sport, dport=dport) / Raw(geneve(r))
    if r.randrange(3):
        ip = IP(src=pick(r, V4), dst=pick(r, V4), frag=0 if r.randrange(10) else 100) / udp
        if r.randrange(5) == 0:
            ip.options = [IPOption_RR(routers=["1.1.1.1"])]
        ptype = 0x0800
    else:
        ip = IPv6(src=pick(r, V6), dst=pick(r, V6)) / udp
        ptype = 0x86dd
    if r.randrange(5) == 0:
        return Ether(bytes(eth(r, pick(r, TPIDS)) / Dot1Q(vlan=pick(r, [5, 100]), type=ptype) / ip))
    return Ether(bytes(eth(r) / ip))


def main():
    out, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    pkts = []
    while len(pkts) < count:
        for f in frame(r):
            pkts.append(f)
    r2 = random.Random(seed + 1)
    for _ in range(count // 10):
        pkts.append(encapsulated(r2))
    r3 = random.Random(seed + 2)
    for _ in range(count // 10):
        pkts.append(chain(r3))
    r4 = random.Random(seed + 3)
    for _ in range(count // 10):
        pkts.append(geneve_frame(r4))
    wrpcap(out, pkts)
    print("wrote %d frames" % len(pkts))


if __name__ == "__main__":
    main()
