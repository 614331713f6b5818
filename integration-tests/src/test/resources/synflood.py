#!/usr/bin/python3
"""A SYN flood for tapstack's integration tests (standard library only, raw AF_PACKET).

  synflood.py IFACE HOST_MAC HOST_IP SECONDS SEED [RATE]
Sends SYNs to HOST_IP:80 from spoofed sources in 10.9.0.0/16 (random ports and sequence
numbers, seeded) out of IFACE, at most RATE a second (default: as fast as it can), for at most SECONDS; 20,000 distinct SYNs,
sent over again if time remains. Prints "sending" when it starts and "sent N distinct D" at the end.
"""
import random
import socket
import struct
import sys
import time

from frames import csum  # the same directory


def syn(src_mac, dst_mac, src, dst, sport, seq):
    opts = struct.pack("!BBH", 2, 4, 1460)  # MSS
    tcp = struct.pack("!HHIIBBHHH", sport, 80, seq, 0, (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def main():
    iface, host_mac, host_ip, seconds, seed = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
    rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
    r = random.Random(seed)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    dst_mac = bytes(int(x, 16) for x in host_mac.split(":"))
    dst = socket.inet_aton(host_ip)
    frames = [syn(src_mac, dst_mac, bytes([10, 9, r.randrange(256), r.randrange(1, 255)]), dst,
                  r.randrange(1024, 65536), r.randrange(1 << 32)) for _ in range(20000)]
    print("sending", flush=True)
    start = time.monotonic()
    end = start + seconds
    n = 0
    while time.monotonic() < end and n < 10_000_000:
        if rate > 0:
            ahead = n / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(min(ahead, 0.1))
                continue
        for f in frames[n % len(frames):n % len(frames) + 500]:
            try:
                s.send(f)
            except OSError:  # the TAP's queue is full: the host is behind, try the next one
                pass
            n += 1
    print("sent %d distinct %d" % (n, min(n, len(frames))), flush=True)


if __name__ == "__main__":
    main()
