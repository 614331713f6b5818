#!/usr/bin/python3
"""Raw-frame helper for tapstack's integration tests (standard library only).

  frames.py malformed IFACE HOST_MAC HOST_IP KERNEL_IP   send a burst of malformed frames
  frames.py protounreach HOST_IP                          expect ICMP protocol unreachable
Prints one line per check; exits non-zero on failure.
"""
import os
import random
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def ipv4(src, dst, proto, payload, ident=1, flags_frag=0, ihl=5, ver=4, total=None, bad_csum=False, ttl=64):
    total = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, 0, total, ident, flags_frag, ttl, proto, 0, src, dst)
    c = csum(h)
    if bad_csum:
        c ^= 0x5555
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + payload


def icmp_echo(ident, seq, data, bad=False):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    c = csum(h)
    if bad:
        c ^= 0x1234
    return h[:2] + struct.pack("!H", c) + h[4:]


def malformed(iface, host_mac, host_ip, kernel_ip):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    dst = mac(host_mac)
    src = bytes.fromhex("020000aabbcc")
    eth_ip = dst + src + b"\x08\x00"
    eth_arp = dst + src + b"\x08\x06"
    hip, kip = ip4(host_ip), ip4(kernel_ip)
    echo = icmp_echo(0x77, 1, b"x" * 32)
    sent = {}

    def send(kind, frame, n=20):
        for _ in range(n):
            s.send(frame)
        sent[kind] = sent.get(kind, 0) + n

    send("ip_bad_checksum", eth_ip + ipv4(kip, hip, 1, echo, bad_csum=True))
    send("ip_bad_ihl", eth_ip + ipv4(kip, hip, 1, echo, ihl=3))
    send("ip_truncated", eth_ip + ipv4(kip, hip, 1, echo)[:12])
    send("ip_bad_total_length", eth_ip + ipv4(kip, hip, 1, echo, total=1400))
    send("ip_bad_version", eth_ip + ipv4(kip, hip, 1, echo, ver=6))
    send("ip_martian_src", eth_ip + ipv4(ip4("127.0.0.1"), hip, 1, echo))
    send("ip_martian_src", eth_ip + ipv4(ip4("255.255.255.255"), hip, 1, echo))
    send("icmp_bad_checksum", eth_ip + ipv4(kip, hip, 1, icmp_echo(0x77, 2, b"y" * 32, bad=True)))
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src, kip, b"\0" * 6, hip)
    send("arp_bad_hlen", eth_arp + arp[:4] + b"\x07" + arp[5:])
    send("arp_bad_plen", eth_arp + arp[:5] + b"\x10" + arp[6:])
    send("arp_truncated", eth_arp + arp[:20])
    send("arp_bad_op", eth_arp + arp[:6] + b"\x00\x09" + arp[8:])
    # fragments: an overlap (second fragment rewrites bytes 8..23 differently)
    payload = bytes(range(48))
    send("frag_overlap", eth_ip + ipv4(kip, hip, 17, payload[:24], ident=0x4242, flags_frag=0x2000), 1)
    send("frag_overlap", eth_ip + ipv4(kip, hip, 17, b"Z" * 16, ident=0x4242, flags_frag=0x2000 | 1), 1)
    # a fragment that would end past 65535 bytes
    send("frag_oversize", eth_ip + ipv4(kip, hip, 1, b"A" * 64, ident=0x4343, flags_frag=0x1FFF), 1)
    # random frames, half addressed to the host
    rnd = random.Random(int(os.environ.get("SEED", "1")))
    for i in range(300):
        n = rnd.randint(14, 1514)
        f = bytes(rnd.getrandbits(8) for _ in range(n))
        if i % 2 == 0:
            f = dst + f[6:]
        if i % 3 == 0:
            f = f[:12] + rnd.choice([b"\x08\x00", b"\x08\x06", b"\x86\xdd"]) + f[14:]
        s.send(f)
    sent["random"] = 300
    for k, v in sorted(sent.items()):
        print("sent %s %d" % (k, v))


def protounreach(host_ip):
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    r.settimeout(3)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
    s.sendto(b"hello, unknown protocol", (host_ip, 0))
    while True:
        try:
            pkt, addr = r.recvfrom(2048)
        except socket.timeout:
            print("no ICMP answer")
            sys.exit(1)
        ihl = (pkt[0] & 15) * 4
        t, c = pkt[ihl], pkt[ihl + 1]
        if addr[0] == host_ip and t == 3:
            inner = pkt[ihl + 8:]
            print("icmp type %d code %d quoted-proto %d" % (t, c, inner[9]))
            return


if __name__ == "__main__":
    if sys.argv[1] == "malformed":
        malformed(*sys.argv[2:6])
    elif sys.argv[1] == "protounreach":
        protounreach(sys.argv[2])
    else:
        sys.exit("unknown mode")
