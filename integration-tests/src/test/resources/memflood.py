#!/usr/bin/python3
"""Floods for MemLimitIT (standard library only). Every loop is bounded in count and time.

  memflood.py conns HOST_IP PORT COUNT SECONDS
    Opens up to COUNT real TCP connections from the kernel to HOST_IP:PORT (non-blocking, at most
    500 connecting at once), writes 100 bytes on each that connects, holds them all until SECONDS
    have passed since the start, then closes them. Prints "started", then
    "conns established E failed F pending P".

  memflood.py ooo IFACE HOST_MAC HOST_IP PORT CONNS SECONDS SEED
    Out of IFACE (raw AF_PACKET) from spoofed sources in 10.9.0.0/16 (behind the kernel, which the
    host has as its gateway): a handshake per connection (the SYN-ACK read back from IFACE), then,
    until SECONDS have passed, out-of-order segments of 1000 bytes at every other 1000 bytes of
    the window (the holes are never filled), sent over and over; at the end a RST for each
    connection. Prints "started", then "ooo connections C segments S".
"""
import errno
import random
import resource
import select
import socket
import struct
import sys
import time

from frames import csum  # the same directory


def conns(host_ip, port, count, seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))
    start = time.monotonic()
    end = start + seconds
    connecting = {}
    established = []
    failed = 0
    opened = 0
    print("started", flush=True)
    poller = select.poll()
    while time.monotonic() < end:
        while opened < count and len(connecting) < 500:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((host_ip, port))
            opened += 1
            if err not in (0, errno.EINPROGRESS):
                failed += 1
                s.close()
                continue
            connecting[s.fileno()] = s
            poller.register(s.fileno(), select.POLLOUT)
        for fd, ev in poller.poll(100):
            s = connecting.pop(fd, None)
            if s is None:
                continue
            poller.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.send(b"x" * 100)
                    established.append(s)
                    continue
                except OSError:
                    pass
            failed += 1
            s.close()
        if opened >= count and not connecting:
            time.sleep(0.1)
    print("conns established %d failed %d pending %d" % (len(established), failed, len(connecting)), flush=True)
    for s in established + list(connecting.values()):
        s.close()


def frame(src_mac, dst_mac, src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def ooo(iface, host_mac, host_ip, port, n, seconds, seed):
    r = random.Random(seed)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    s.settimeout(0.05)
    src_mac = s.getsockname()[4]
    dst_mac = bytes(int(x, 16) for x in host_mac.split(":"))
    dst = socket.inet_aton(host_ip)
    start = time.monotonic()
    end = start + seconds
    print("started", flush=True)
    want = {}
    for i in range(n):
        src = bytes([10, 9, r.randrange(256), r.randrange(1, 255)])
        sport = 20000 + i
        iss = r.randrange(1 << 32)
        want[(src, sport)] = iss
        s.send(frame(src_mac, dst_mac, src, dst, sport, port, iss, 0, 0x02))
    # the SYN-ACKs (bounded: 5 s)
    conns = {}
    deadline = min(end, time.monotonic() + 5)
    while len(conns) < n and time.monotonic() < deadline:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        if len(f) < 54 or f[23] != 6:
            continue
        ihl = (f[14] & 0x0F) * 4
        t = 14 + ihl
        dst_ip = f[30:34]
        sp, dp, seq, ack, _, flags = struct.unpack("!HHIIBB", f[t:t + 14])
        key = (dst_ip, dp)
        if sp == port and key in want and flags & 0x12 == 0x12 and key not in conns:
            conns[key] = (want[key] + 1, seq + 1)
    for (src, sport), (snd, rcv) in conns.items():
        s.send(frame(src_mac, dst_mac, src, dst, sport, port, snd, rcv, 0x10))
    sent = 0
    payload = bytes(1000)
    rounds = 0
    while time.monotonic() < end and rounds < 1000:
        rounds += 1
        for (src, sport), (snd, rcv) in conns.items():
            for k in range(30):  # [1000, 2000), [3000, 4000), ... within the 64 KiB window
                try:
                    s.send(frame(src_mac, dst_mac, src, dst, sport, port, snd + 1000 + 2000 * k, rcv, 0x10, payload))
                    sent += 1
                except OSError:  # the TAP's queue is full: the host is behind
                    time.sleep(0.01)
        time.sleep(0.2)
    for (src, sport), (snd, rcv) in conns.items():
        s.send(frame(src_mac, dst_mac, src, dst, sport, port, snd, rcv, 0x04))  # RST at RCV.NXT
    print("ooo connections %d segments %d" % (len(conns), sent), flush=True)


def main():
    a = sys.argv
    if a[1] == "conns":
        conns(a[2], int(a[3]), int(a[4]), float(a[5]))
    elif a[1] == "ooo":
        ooo(a[2], a[3], a[4], int(a[5]), int(a[6]), float(a[7]), int(a[8]))
    else:
        sys.exit("usage: memflood.py conns|ooo ...")


if __name__ == "__main__":
    main()
