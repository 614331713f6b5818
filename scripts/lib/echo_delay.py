#!/usr/bin/env python3
"""Responder delay of ICMP echo on a TAP, from tcpdump captures (used by scripts/bench-latency.sh).

For each echo request (ICMP type 8, RFC 792) captured on the TAP, the time to the echo reply
(type 0) with the same identifier and sequence number coming back from the swapped address:
the responder's own delay (its wake-up, its stack, its write), without the pinging process.

    echo_delay.py RUNS

RUNS has one line per ping run: KEY PCAP T0 T1 PINGS (T0..T1 in seconds since the epoch, the
run's wall-clock window; the capture's stamps are wall-clock too). The requests of a run are the
ones in its window; the delays of all runs with the same KEY are pooled. Prints, per KEY in order
of first appearance: KEY P50_US P90_US MATCHED SENT, where SENT is the sum of the runs' PINGS and
MATCHED the requests in the windows that found their reply ("nan nan" if none).

    echo_delay.py --self-test

checks the reader on captures it writes (both stamp resolutions and byte orders, a request
outside the window, one without a reply, a reply from the wrong address).
"""
import struct
import sys

ETH_P_IP = 0x0800


def read_pcap(path):
    """Yields (time in ns, frame bytes) from a pcap file (micro- or nanosecond stamps)."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        for order in ("<", ">"):
            magic, = struct.unpack(order + "I", head[:4])
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                break
        else:
            raise SystemExit(f"echo_delay: {path}: not a pcap file")
        scale = 1000 if magic == 0xA1B2C3D4 else 1
        linktype, = struct.unpack(order + "I", head[20:24])
        if linktype != 1:
            raise SystemExit(f"echo_delay: {path}: link type {linktype}, not Ethernet")
        rec = struct.Struct(order + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, incl, _ = rec.unpack(h)
            data = f.read(incl)
            if len(data) < incl:
                return  # a capture cut short by its end
            yield sec * 1_000_000_000 + frac * scale, data


def echoes(path):
    """Lists (t_ns, type, src, dst, ident, seq) of the ICMP echo requests and replies in a capture."""
    out = []
    for t, d in read_pcap(path):
        if len(d) < 34 or struct.unpack("!H", d[12:14])[0] != ETH_P_IP:
            continue
        ihl = (d[14] & 0x0F) * 4
        if d[23] != 1 or len(d) < 14 + ihl + 8:
            continue
        icmp = 14 + ihl
        kind = d[icmp]
        if kind not in (0, 8):
            continue
        ident, seq = struct.unpack("!HH", d[icmp + 4:icmp + 8])
        out.append((t, kind, d[26:30], d[30:34], ident, seq))
    return out


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    k = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(k) - 1]


def self_test():
    import os
    import tempfile

    def frame(kind, src, dst, ident, seq):
        ip = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0]) + bytes(src) + bytes(dst)
        return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + struct.pack("!BBHHH", kind, 0, 0, ident, seq)

    a, b, c = (10, 0, 0, 1), (10, 0, 0, 2), (10, 0, 0, 3)
    base = 1_700_000_000
    # (ns after base, frame): delays 10, 20, 30, 40 µs; seq 5 unanswered; seq 6 answered by c;
    # seq 7 before the window
    frames = [(0, frame(8, a, b, 7, 7))]
    for i, (seq, d) in enumerate([(1, 10), (2, 20), (3, 30), (4, 40)]):
        t = 1_000_000 * (i + 1)
        frames += [(t, frame(8, a, b, 7, seq)), (t + d * 1000, frame(0, b, a, 7, seq))]
    frames += [(6_000_000, frame(8, a, b, 7, 5)), (7_000_000, frame(8, a, b, 7, 6)),
               (7_010_000, frame(0, c, a, 7, 6)), (8_000_000, frame(0, b, a, 7, 7))]
    with tempfile.TemporaryDirectory() as tmp:
        runs = os.path.join(tmp, "runs")
        with open(runs, "w") as r:
            for order, magic, per_sec in (("<", 0xA1B23C4D, 1), (">", 0xA1B2C3D4, 1000)):
                path = os.path.join(tmp, f"c{magic:x}.pcap")
                with open(path, "wb") as f:
                    f.write(struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 96, 1))
                    for t, d in frames:
                        f.write(struct.pack(order + "IIII", base, t // per_sec, len(d), len(d)) + d)
                r.write(f"k{magic:x} {path} {base + 0.0005} {base + 0.0075} 6\n")
        import io
        import contextlib
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            sys.argv = ["echo_delay.py", runs]
            main()
    want = "ka1b23c4d 20.0 40.0 4 6\nka1b2c3d4 20.0 40.0 4 6\n"
    if out.getvalue() != want:
        raise SystemExit(f"echo_delay: self-test failed:\n{out.getvalue()}expected:\n{want}")
    print("echo_delay: self-test passed")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return
    if len(sys.argv) != 2:
        raise SystemExit("usage: echo_delay.py RUNS")
    captures = {}
    delays = {}
    sent = {}
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) != 5:
            continue
        key, pcap, t0, t1, pings = f[0], f[1], float(f[2]), float(f[3]), int(f[4])
        if pcap not in captures:
            captures[pcap] = echoes(pcap)
        lo, hi = int(t0 * 1e9), int(t1 * 1e9)
        delays.setdefault(key, [])
        sent[key] = sent.get(key, 0) + pings
        pending = {}
        for t, kind, src, dst, ident, seq in captures[pcap]:
            if kind == 8 and lo <= t <= hi:
                pending[(src, dst, ident, seq)] = t
            elif kind == 0:
                t_req = pending.pop((dst, src, ident, seq), None)
                if t_req is not None:
                    delays[key].append((t - t_req) / 1000.0)
    for key, values in delays.items():
        values.sort()
        if values:
            print(f"{key} {percentile(values, 50):.1f} {percentile(values, 90):.1f} {len(values)} {sent[key]}")
        else:
            print(f"{key} nan nan 0 {sent[key]}")


if __name__ == "__main__":
    main()
