#!/usr/bin/python3
"""IPv6/UDP frame helper for tapstack's integration tests (scapy builds the packets; AF_PACKET
sockets on the namespace's TAP send them and watch what the host answers).

  frames6.py malformed IFACE HOST_MAC HOST_IP KERNEL_IP   malformed IPv6 input, one result line per check
  frames6.py echo IFACE HOST_MAC SRC DST                  one echo request as a raw frame: "echo reply N"
  frames6.py udpclosed ADDR PORT                          connected UDP socket to a closed port
Runs only inside the test's namespace; every wait is bounded. Exits non-zero on a usage error.
"""
import os
import random
import socket
import struct
import sys
import time

if sys.argv[1:2] != ["udpclosed"]:  # scapy takes a second to import; udpclosed needs none of it
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import (Ether, IPv6, ICMPv6EchoRequest, IPv6ExtHdrDestOpt,  # noqa: E402
                           IPv6ExtHdrFragment, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, HBHOptUnknown,
                           in6_getnsma, in6_getnsmac)

ETH_P_ALL = 0x0003
ICMP6 = 58


def iface_mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return f.read().strip()


class Wire:
    """One AF_PACKET socket for sending and one for watching everything on the TAP."""

    def __init__(self, iface, host_mac):
        self.iface = iface
        self.host_mac = bytes.fromhex(host_mac.replace(":", ""))
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((iface, 0))
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.rx.bind((iface, 0))

    def send(self, pkt, n=1):
        b = bytes(pkt)
        for _ in range(n):
            self.tx.send(b)
        return b

    def from_host(self, seconds, pred, first=False):
        """Frames the host sent (Ethernet source = host MAC) that match pred, for at most `seconds`
        (or until the first one when `first`)."""
        out = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            self.rx.settimeout(left)
            try:
                f = self.rx.recv(65535)
            except socket.timeout:
                return out
            if f[6:12] == self.host_mac and pred(f):
                out.append(f)
                if first:
                    return out

    def close(self):
        self.tx.close()
        self.rx.close()


def icmp6_of(f):
    """(type, code, ipv6 src, ipv6 dst, icmp bytes) when f is Ethernet/IPv6/ICMPv6 without extension headers."""
    if len(f) < 14 + 40 + 4 or f[12:14] != b"\x86\xdd" or f[14 + 6] != ICMP6:
        return None
    icmp = f[54:]
    return icmp[0], icmp[1], f[22:38], f[38:54], icmp


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def echo_replies(w, src_ip, ident, seconds, first=False):
    def pred(f):
        m = icmp6_of(f)
        return m is not None and m[0] == 129 and m[3] == a6(src_ip) and struct.unpack("!H", m[4][4:6])[0] == ident
    return len(w.from_host(seconds, pred, first))


def param_problem(w, sent, seconds):
    """The host's Parameter Problem quoting `sent` (IPv6 header onward): (code, pointer) or None."""
    ip6 = sent[14:]

    def pred(f):
        m = icmp6_of(f)
        return m is not None and m[0] == 4 and m[4][8:8 + 40] == ip6[:40]
    got = w.from_host(seconds, pred, True)
    if not got:
        return None
    icmp = icmp6_of(got[0])[4]
    return icmp[1], struct.unpack("!I", icmp[4:8])[0]


def malformed(iface, host_mac, host_ip, kernel_ip):
    w = Wire(iface, host_mac)
    kmac = iface_mac(iface)
    eth = Ether(src=kmac, dst=host_mac)
    ok = True

    # 1. Payload length larger than what arrived (RFC 8200 §3): dropped and counted, no answer.
    p = bytearray(bytes(eth / IPv6(src=kernel_ip, dst=host_ip) / ICMPv6EchoRequest(id=0x6101, data=b"L" * 32)))
    struct.pack_into("!H", p, 14 + 4, 40 + 200)
    w.send(p, 20)
    n = echo_replies(w, kernel_ip, 0x6101, 0.5)
    print("bad_payload_length sent 20 echo_reply %d" % n)
    ok &= n == 0

    # 2. An unrecognised Next Header (RFC 8200 §4): Parameter Problem code 1, pointer at the
    # Next Header field (offset 6 of the IPv6 header, as there are no extension headers).
    sent = w.send(eth / IPv6(src=kernel_ip, dst=host_ip, nh=253) / (b"unknown next header " * 2))
    r = param_problem(w, sent, 2)
    print("unknown_next_header param_problem %s" % ("none" if r is None else "code %d pointer %d" % r))
    ok &= r == (1, 6)

    # 3. A Destination Options option whose type has action bits 10 (RFC 8200 §4.2): discard and
    # Parameter Problem code 2 pointing at the option type (40 + 2 = offset 42), no echo reply.
    sent = w.send(eth / IPv6(src=kernel_ip, dst=host_ip)
                  / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x88, optdata=b"\0" * 4)])
                  / ICMPv6EchoRequest(id=0x6103, data=b"D" * 16))
    r = param_problem(w, sent, 2)
    n = echo_replies(w, kernel_ip, 0x6103, 0.3)
    print("dest_option_action_10 param_problem %s echo_reply %d"
          % ("none" if r is None else "code %d pointer %d" % r, n))
    ok &= r == (2, 42) and n == 0

    # 4. Neighbor Solicitation with hop limit 64 (RFC 4861 §7.1.1: must be 255): ignored, no NA.
    # A control with hop limit 255 from another address must be answered.
    target = host_ip
    nsma = in6_getnsma(a6(target))
    nsma_s = socket.inet_ntop(socket.AF_INET6, nsma)
    mc = in6_getnsmac(nsma)

    def ns(src, lladdr, hlim):
        return (Ether(src=kmac, dst=mc) / IPv6(src=src, dst=nsma_s, hlim=hlim)
                / ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=lladdr))

    def nas_to(addr, seconds, first=False):
        def pred(f):
            m = icmp6_of(f)
            return m is not None and m[0] == 136 and m[3] == a6(addr)
        return len(w.from_host(seconds, pred, first))

    w.send(ns("fd00::99", "02:00:00:aa:bb:99", 64), 5)
    bad = nas_to("fd00::99", 0.7)
    w.send(ns("fd00::98", "02:00:00:aa:bb:98", 255), 1)
    good = nas_to("fd00::98", 2.0, True)
    print("ns_hop_limit_64 sent 5 na %d control_hop_limit_255 na %d" % (bad, good))
    ok &= bad == 0 and good >= 1

    # 5. Overlapping fragments (RFC 5722): the whole datagram is dropped, no echo reply. A control
    # datagram in two clean fragments must be reassembled and answered.
    def fragments(ident, fid, overlap):
        ip = IPv6(src=kernel_ip, dst=host_ip)
        # the ICMPv6 checksum covers the pseudo-header and the whole datagram: built unfragmented
        echo = bytes(ip / ICMPv6EchoRequest(id=ident, seq=1, data=bytes(range(64))))[40:]
        first = echo[:32]
        second_off = 16 if overlap else 32
        second = echo[second_off:]
        if overlap:
            second = bytes(b ^ 0x5a for b in second[:16]) + second[16:]
        f1 = eth / ip / IPv6ExtHdrFragment(nh=ICMP6, offset=0, m=1, id=fid) / first
        f2 = eth / ip / IPv6ExtHdrFragment(nh=ICMP6, offset=second_off // 8, m=0, id=fid) / second
        return f1, f2

    f1, f2 = fragments(0x6105, 0x51515151, True)
    w.send(f1)
    w.send(f2)
    bad = echo_replies(w, kernel_ip, 0x6105, 0.7)
    f1, f2 = fragments(0x6106, 0x52525252, False)
    w.send(f1)
    w.send(f2)
    good = echo_replies(w, kernel_ip, 0x6106, 2.0, True)
    print("frag_overlap echo_reply %d control_clean_fragments echo_reply %d" % (bad, good))
    ok &= bad == 0 and good == 1

    # 6. Random bytes as IPv6 frames to the host: nothing may take it down.
    rnd = random.Random(int(os.environ.get("SEED", "6")))
    base = bytes(eth)[:12] + b"\x86\xdd"
    for _ in range(200):
        n = rnd.randint(1, 600)
        body = bytearray(rnd.getrandbits(8) for _ in range(n))
        if n > 0 and rnd.random() < 0.7:
            body[0] = 0x60 | (body[0] & 0x0f)
        w.tx.send(base + bytes(body))
    print("random sent 200")
    w.close()
    sys.exit(0 if ok else 1)


def echo(iface, host_mac, src, dst):
    w = Wire(iface, host_mac)
    eth = Ether(src=iface_mac(iface), dst=host_mac)
    w.send(eth / IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=0x6200, seq=1, data=b"raw echo"))
    print("echo reply %d" % echo_replies(w, src, 0x6200, 1.5, True))
    w.close()


def udpclosed(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((addr, int(port)))
    try:
        s.send(b"anyone on this port?")
        s.recv(100)
        print("udp answered")
    except ConnectionRefusedError:
        print("udp refused")
    except socket.timeout:
        print("udp timeout")
    finally:
        s.close()


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "malformed":
        malformed(*sys.argv[2:6])
    elif mode == "echo":
        echo(*sys.argv[2:6])
    elif mode == "udpclosed":
        udpclosed(*sys.argv[2:4])
    else:
        sys.exit("usage: frames6.py malformed|echo|udpclosed ...")
