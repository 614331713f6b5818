#!/usr/bin/python3
"""Floods of spoofed frames for tapstack's flood integration tests (standard library only, raw AF_PACKET).

  flood.py MODE IFACE HOST_MAC HOST_ADDR SECONDS SEED RATE [KERNEL_ADDR CLIENT_PORT]

MODE is one of
  arp    ARP from spoofed senders in 10.0.0.0/16 with random MACs: requests for HOST_ADDR, replies to
         HOST_ADDR, unsolicited (broadcast) replies for other addresses, gratuitous ARP
  nd     ICMPv6 from spoofed link-local senders: Neighbor Solicitations for HOST_ADDR (with a source
         link-layer option), unsolicited Neighbor Advertisements (override, target = sender),
         Router Advertisements each with its own 2001:db8:X::/64 prefix (A and L set)
  frag4  IPv4 fragments to HOST_ADDR from spoofed 10.0.0.0/16 senders: first fragments that are
         never completed, tiny 8-byte middle fragments, overlapping pairs
  frag6  the same over IPv6 (fragment headers) from spoofed fd00::/64 senders
  icmp4  ICMP errors from spoofed routers in 10.0.0.0/16 quoting the connection HOST_ADDR:80 ->
         KERNEL_ADDR:CLIENT_PORT with random sequence numbers (port unreachable; fragmentation needed
         with a next-hop MTU of 68) or random connections (host unreachable), and UDP datagrams from
         spoofed on-link sources to a closed port of the host (which answers them, rate-limited, each
         answer waiting for an ARP reply that never comes)
  icmp6  ICMPv6 errors from spoofed routers (2001:db8:ffff::/64) to HOST_ADDR (IPv6) while a download
         [HOST_ADDR]:80 -> [KERNEL_ADDR]:CLIENT_PORT runs (it waits, at most 10 s, to see one of its
         segments): Packet Too Big with MTUs 0..1279 and 0x80000000+ quoting (a) random TCP 4-tuples,
         (b) the download with sequence numbers half the sequence space away from the last one seen
         (so never in flight), (c) UDP ports nobody holds, (d) echo requests never sent, (e) an unknown
         next header; Destination Unreachable and Time Exceeded quoting (a)-(d); and UDP to a closed
         port from spoofed on-link fd00::/64 sources (the host's own errors, rate-limited). Ends with
         "kinds NAME=N ..." (frames sent of each kind)
  ptb6router  a router with a 1280-byte next hop: each frame of the download above larger than 1280
         bytes gets a Packet Too Big (MTU 1280) quoting it (at most one per 10 ms, RATE in all); ends once
         100 data segments of at most 1280 bytes followed, or after SECONDS. Prints "sent N distinct N
         big B small S" (PTBs sent, frames over 1280 bytes seen, data frames within 1280 after the first PTB)
Frames go out of IFACE (the kernel side of the TAP, so only the TAP reader sees them) at most RATE a
second, for at most SECONDS; 20,000 distinct frames (seeded), sent over again if time remains.
Prints "sending" when it starts and "sent N distinct D" at the end.
"""
import random
import socket
import struct
import sys
import time

from frames import csum  # the same directory

BCAST = b"\xff" * 6


def rmac(r):
    return bytes([0x02, r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(256)])


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa, tha, tpa)


def arp_frames(r, host_mac, host_ip, n):
    out = []
    for i in range(n):
        sha = rmac(r)
        spa = bytes([10, 0, r.randrange(1, 255), r.randrange(1, 255)])
        kind = i % 4
        if kind == 0:  # who-has HOST? from a spoofed sender: a new entry per sender (RFC 826 merge)
            out.append(BCAST + sha + b"\x08\x06" + arp(1, sha, spa, b"\0" * 6, host_ip))
        elif kind == 1:  # a reply to HOST nobody asked for
            out.append(host_mac + sha + b"\x08\x06" + arp(2, sha, spa, host_mac, host_ip))
        elif kind == 2:  # unsolicited broadcast reply about another address
            other = bytes([10, 0, r.randrange(1, 255), r.randrange(1, 255)])
            out.append(BCAST + sha + b"\x08\x06" + arp(2, sha, spa, b"\0" * 6, other))
        else:  # gratuitous ARP (sender = target)
            out.append(BCAST + sha + b"\x08\x06" + arp(1, sha, spa, b"\0" * 6, spa))
    return out


def ipv6(src, dst, nh, payload, hop=255):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hop, src, dst) + payload


def icmp6(src, dst, typ, code, body):
    msg = struct.pack("!BBH", typ, code, 0) + body
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    return msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:]


def mcast_mac(addr):
    return b"\x33\x33" + addr[12:]


def link_local(r):
    return b"\xfe\x80" + b"\0" * 6 + r.randbytes(8)


def nd_frames(r, host_mac, host6, n):
    out = []
    all_nodes = socket.inet_pton(socket.AF_INET6, "ff02::1")
    snm = socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0")[:13] + host6[13:]
    for i in range(n):
        sha = rmac(r)
        src = link_local(r)
        kind = i % 3
        if kind == 0:  # NS for HOST with a source link-layer option (RFC 4861 §7.2.3: creates STALE)
            body = struct.pack("!I16s", 0, host6) + struct.pack("!BB6s", 1, 1, sha)
            pkt = ipv6(src, snm, 58, icmp6(src, snm, 135, 0, body))
            out.append(mcast_mac(snm) + sha + b"\x86\xdd" + pkt)
        elif kind == 1:  # unsolicited NA, override, target = sender, to all nodes
            body = struct.pack("!I16s", 0x20000000, src) + struct.pack("!BB6s", 2, 1, sha)
            pkt = ipv6(src, all_nodes, 58, icmp6(src, all_nodes, 136, 0, body))
            out.append(mcast_mac(all_nodes) + sha + b"\x86\xdd" + pkt)
        else:  # RA from a new router with a new prefix (RFC 4861 §6.1.2 valid: link-local, hop 255)
            prefix = b"\x20\x01\x0d\xb8" + struct.pack("!H", r.randrange(1, 65536)) + b"\0" * 10
            ra = struct.pack("!BBHII", 64, 0, 1800, 0, 0)
            pio = struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 86400, 14400, 0, prefix)
            sll = struct.pack("!BB6s", 1, 1, sha)
            pkt = ipv6(src, all_nodes, 58, icmp6(src, all_nodes, 134, 0, ra + sll + pio))
            out.append(mcast_mac(all_nodes) + sha + b"\x86\xdd" + pkt)
    return out


def ipv4(src, dst, proto, ident, flags_frag, payload, total=None):
    total = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, flags_frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


MF = 0x2000


def frag4_frames(r, src_mac, host_mac, host_ip, n):
    out = []
    eth = host_mac + src_mac + b"\x08\x00"
    i = 0
    while len(out) < n:
        src = bytes([10, 0, r.randrange(1, 255), r.randrange(1, 255)])
        ident = r.randrange(65536)
        kind = i % 3
        i += 1
        if kind == 0:  # a first fragment whose rest never comes
            out.append(eth + ipv4(src, host_ip, 17, ident, MF, r.randbytes(1024)))
        elif kind == 1:  # a tiny middle fragment
            out.append(eth + ipv4(src, host_ip, 17, ident, MF | r.randrange(1, 1000), bytes(8)))
        else:  # two fragments that overlap with different bytes
            out.append(eth + ipv4(src, host_ip, 1, ident, MF, b"\x11" * 512))
            out.append(eth + ipv4(src, host_ip, 1, ident, MF | 32, b"\x22" * 512))
    return out


def frag6(nh, off, more, ident, data):
    return struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident) + data


def frag6_frames(r, src_mac, host_mac, host6, n):
    out = []
    eth = host_mac + src_mac + b"\x86\xdd"
    i = 0
    while len(out) < n:
        src = socket.inet_pton(socket.AF_INET6, "fd00::") [:8] + r.randbytes(8)
        ident = r.randrange(1 << 32)
        kind = i % 3
        i += 1
        if kind == 0:  # a first fragment (UDP header inside) whose rest never comes
            udp = struct.pack("!HHHH", 9, 9, 8 + 2000, 0) + r.randbytes(1016)
            out.append(eth + ipv6(src, host6, 44, frag6(17, 0, True, ident, udp), 64))
        elif kind == 1:  # a tiny middle fragment
            out.append(eth + ipv6(src, host6, 44, frag6(17, 8 * r.randrange(1, 1000), True, ident, bytes(8)), 64))
        else:  # overlapping fragments (RFC 5722: the datagram is discarded)
            udp = struct.pack("!HHHH", 9, 9, 8 + 2000, 0) + b"\x11" * 504
            out.append(eth + ipv6(src, host6, 44, frag6(17, 0, True, ident, udp), 64))
            out.append(eth + ipv6(src, host6, 44, frag6(17, 256, True, ident, b"\x22" * 512), 64))
    return out


def icmp4_frames(r, src_mac, host_mac, host_ip, kernel_ip, cport, n):
    out = []
    eth = host_mac + src_mac + b"\x08\x00"
    for i in range(n):
        router = bytes([10, 0, r.randrange(1, 255), r.randrange(1, 255)])
        kind = i % 4
        if kind == 3:  # UDP to a closed port from a spoofed on-link source: the host's own errors, rate-limited,
            # each to an address that never answers ARP
            udp = struct.pack("!HHHH", 40000 + i % 1000, 33434, 16, 0) + bytes(8)
            out.append(eth + ipv4(router, host_ip, 17, i & 0xFFFF, 0, udp))
            continue
        if kind == 2:  # a connection that does not exist
            quoted_tcp = struct.pack("!HHI", r.randrange(1, 65536), r.randrange(1, 65536), r.randrange(1 << 32))
            typ, code, rest = 3, 1, 0
        else:  # our connection, a sequence number almost surely not in flight (RFC 5927 §4.1)
            quoted_tcp = struct.pack("!HHI", 80, cport, r.randrange(1 << 32))
            typ, code, rest = (3, 3, 0) if kind == 0 else (3, 4, 68)
        quoted_ip = ipv4(host_ip, kernel_ip, 6, r.randrange(65536), 0x4000, b"", total=1500)  # as the original was
        msg = struct.pack("!BBHI", typ, code, 0, rest) + quoted_ip + quoted_tcp
        msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
        out.append(eth + ipv4(router, host_ip, 1, r.randrange(65536), 0, msg))
    return out


def send_paced(s, frames, seconds, rate, batch_start=lambda: None, frame=lambda f: f, sent=lambda f: None):
    """Prints "sending", then sends frames (over again if time remains) at most rate a second for at most
    seconds, in batches of 100 (batch_start() before each); frame(item) gives the bytes of an item,
    sent(item) is told of each one the socket took. Returns the number of frames tried."""
    print("sending", flush=True)
    start = time.monotonic()
    end = start + seconds
    n = 0
    while time.monotonic() < end and n < 10_000_000:
        ahead = n / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(min(ahead, 0.1))
            continue
        batch_start()
        at = n % len(frames)
        for item in frames[at:at + 100]:
            try:
                s.send(frame(item))
                sent(item)
            except OSError:  # the TAP's queue is full: the host is behind, try the next one
                pass
            n += 1
    return n


ROUTER6 = bytes.fromhex("20010db8ffff0000")
ETH_P_ALL = 0x0003
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4


def icmp6_error(src_mac, host_mac, router, host6, typ, code, rest, quote):
    body = struct.pack("!I", rest) + quote
    return host_mac + src_mac + b"\x86\xdd" + ipv6(router, host6, 58, icmp6(router, host6, typ, code, body), 64)


def quoted(host6, dst6, nh, l4, plen=1440):
    """The start of a packet HOST sent, as a router quotes it (the payload length as the original was)."""
    return struct.pack("!IHBB16s16s", 6 << 28, plen, nh, 64, host6, dst6) + l4


def tcp_hdr(sport, dport, seq):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x10, 65535, 0, 0)


class Sniffer:
    """The download's segments as the host writes them to the TAP (non-blocking AF_PACKET on IFACE).

    ETH_P_ALL, not ETH_P_IPV6: a protocol tap sees a frame only after the ingress hooks, so it would
    miss what an nftables ingress drop (the ptb6router's next hop) takes away; an all-protocol tap
    sees every frame the host writes."""

    def __init__(self, iface, host_mac, cport):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((iface, ETH_P_ALL))
        self.s.setblocking(False)
        self.host_mac = host_mac
        self.cport = cport
        self.seq = None

    def frames(self, limit=1000):
        """Yields (ipv6 packet, tcp payload length) of the download's frames waiting, at most limit."""
        for _ in range(limit):
            try:
                f, addr = self.s.recvfrom(65536)
            except BlockingIOError:
                return
            if (addr[2] == PACKET_OUTGOING or f[6:12] != self.host_mac or len(f) < 74
                    or f[12:14] != b"\x86\xdd" or f[20] != 6):
                continue
            pkt = f[14:]
            sport, dport, seq, _, off = struct.unpack("!HHIIB", pkt[40:53])
            if sport != 80 or dport != self.cport:
                continue
            self.seq = seq
            yield pkt, len(pkt) - 40 - (off >> 4) * 4


def wait_for_download(sn, seconds):
    end = time.monotonic() + seconds
    while sn.seq is None and time.monotonic() < end:
        for _ in sn.frames():
            pass
        time.sleep(0.01)
    if sn.seq is None:
        sys.exit("no segment of the download seen")


def icmp6_frames(r, src_mac, host_mac, host6, kernel6, cport, n):
    """(kind, frame) pairs; frame None for kinds quoting the download, built as they are sent."""
    out = []
    fd00 = socket.inet_pton(socket.AF_INET6, "fd00::")[:8]
    for i in range(n):
        router = ROUTER6 + r.randbytes(8)
        kind = i % 12  # 9, 10, 11: UDP, 2,000 a second at 8,000, beyond the host's 1,000 errors a second
        other = bytes.fromhex("20010db80001") + r.randbytes(10)
        rq = i // 12 % 3  # what DU and TE quote in turn: (a), (c), (d)
        a = quoted(host6, other, 6, tcp_hdr(r.randrange(1, 65536), r.randrange(1, 65536), r.randrange(1 << 32)))
        c = quoted(host6, other, 17, struct.pack("!HHHH", r.randrange(1, 65536), r.randrange(1, 65536), 1448, 0))
        d = quoted(host6, other, 58, struct.pack("!BBHHH", 128, 0, 0, r.randrange(65536), r.randrange(65536)))
        mtu = r.randrange(0, 1280) if i % 20 < 10 else r.randrange(0x80000000, 1 << 32)
        if kind == 0:
            out.append(("ptb_no_flow", icmp6_error(src_mac, host_mac, router, host6, 2, 0, mtu, a)))
        elif kind == 2:
            out.append(("ptb_no_flow", icmp6_error(src_mac, host_mac, router, host6, 2, 0, mtu, c)))
        elif kind == 3:
            out.append(("ptb_no_flow", icmp6_error(src_mac, host_mac, router, host6, 2, 0, mtu, d)))
        elif kind == 4:
            e = quoted(host6, other, 253, r.randbytes(8))
            out.append(("ptb_no_transport", icmp6_error(src_mac, host_mac, router, host6, 2, 0, mtu, e)))
        elif kind == 5:
            out.append(("du", icmp6_error(src_mac, host_mac, router, host6, 1, r.choice((0, 1, 3, 4)), 0, (a, c, d)[rq])))
        elif kind == 7:
            out.append(("te", icmp6_error(src_mac, host_mac, router, host6, 3, 0, 0, (a, c, d)[rq])))
        elif kind in (1, 6, 8):  # (b) the download, out of window: built at send time
            out.append(({1: "ptb_oow", 6: "du_oow", 8: "te_oow"}[kind], (router, mtu)))
        else:  # UDP to a closed port from a spoofed on-link source: answered (rate-limited) after ND that never ends
            src = fd00 + r.randbytes(8)
            udp = struct.pack("!HHHH", 40000 + i % 1000, 33434, 16, 0) + bytes(8)
            # RFC 8200 §8.1: a zero UDP checksum is not allowed over IPv6
            ck = csum(src + host6 + struct.pack("!IxxxB", len(udp), 17) + udp) or 0xFFFF
            udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
            out.append(("udp", host_mac + src_mac + b"\x86\xdd" + ipv6(src, host6, 17, udp, 64)))
    return out


def oow_frame(r, kind, router, mtu, sn, src_mac, host_mac, host6, kernel6):
    # RFC 5927 §4.1: half the sequence space away from the last segment seen is never in flight
    seq = (sn.seq + (1 << 31) + r.randrange(-(1 << 29), 1 << 29)) % (1 << 32)
    q = quoted(host6, kernel6, 6, tcp_hdr(80, sn.cport, seq))
    typ, code, rest = {"ptb_oow": (2, 0, mtu), "du_oow": (1, 4, 0), "te_oow": (3, 0, 0)}[kind]
    return icmp6_error(src_mac, host_mac, router, host6, typ, code, rest, q)


def flood_icmp6(s, r, src_mac, host_mac, host6, kernel6, cport, seconds, rate):
    sn = Sniffer(s.getsockname()[0], host_mac, cport)
    wait_for_download(sn, 10)
    frames = icmp6_frames(r, src_mac, host_mac, host6, kernel6, cport, 20000)
    kinds = {}

    def frame(item):
        kind, f = item
        if not isinstance(f, bytes):
            f = oow_frame(r, kind, f[0], f[1], sn, src_mac, host_mac, host6, kernel6)
        return f

    def tally(item):
        kinds[item[0]] = kinds.get(item[0], 0) + 1

    def drain():  # keeps the download's latest sequence number
        for _ in sn.frames():
            pass

    n = send_paced(s, frames, seconds, rate, batch_start=drain, frame=frame, sent=tally)
    print("sent %d distinct %d kinds %s" % (n, min(n, len(frames)),
                                            " ".join("%s=%d" % kv for kv in sorted(kinds.items()))), flush=True)


def ptb6_router(s, src_mac, host_mac, host6, cport, seconds, limit):
    sn = Sniffer(s.getsockname()[0], host_mac, cport)
    router = ROUTER6 + bytes(7) + b"\x01"
    print("sending", flush=True)
    end = time.monotonic() + seconds
    sent = big = small = 0
    last = 0.0
    while time.monotonic() < end and small < 100:
        got = False
        for pkt, data in sn.frames():
            got = True
            if len(pkt) > 1280:
                big += 1
                now = time.monotonic()
                if sent < limit and now - last >= 0.01:
                    # RFC 4443 §3.2: as much of the invoking packet as fits in 1280 bytes
                    s.send(icmp6_error(src_mac, host_mac, router, host6, 2, 0, 1280, pkt[:1280 - 48]))
                    sent += 1
                    last = now
            elif sent and data > 0:
                small += 1
        if not got:
            time.sleep(0.001)
    print("sent %d distinct %d big %d small %d" % (sent, sent, big, small), flush=True)


def main():
    mode, iface, host_mac_s, host_addr = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    seconds, seed, rate = float(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
    r = random.Random(seed)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    host_mac = bytes(int(x, 16) for x in host_mac_s.split(":"))
    count = 20000
    if mode == "icmp6":
        flood_icmp6(s, r, src_mac, host_mac, socket.inet_pton(socket.AF_INET6, host_addr),
                    socket.inet_pton(socket.AF_INET6, sys.argv[8]), int(sys.argv[9]), seconds, rate)
        return
    if mode == "ptb6router":
        ptb6_router(s, src_mac, host_mac, socket.inet_pton(socket.AF_INET6, host_addr), int(sys.argv[9]), seconds,
                    int(rate))
        return
    if mode == "arp":
        frames = arp_frames(r, host_mac, socket.inet_aton(host_addr), count)
    elif mode == "nd":
        frames = nd_frames(r, host_mac, socket.inet_pton(socket.AF_INET6, host_addr), count)
    elif mode == "frag4":
        frames = frag4_frames(r, src_mac, host_mac, socket.inet_aton(host_addr), count)
    elif mode == "icmp4":
        frames = icmp4_frames(r, src_mac, host_mac, socket.inet_aton(host_addr), socket.inet_aton(sys.argv[8]),
                              int(sys.argv[9]), count)
    elif mode == "frag6":
        frames = frag6_frames(r, src_mac, host_mac, socket.inet_pton(socket.AF_INET6, host_addr), count)
    else:
        sys.exit("unknown mode " + mode)
    n = send_paced(s, frames, seconds, rate)
    print("sent %d distinct %d" % (n, min(n, len(frames))), flush=True)


if __name__ == "__main__":
    main()
