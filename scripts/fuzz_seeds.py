#!/usr/bin/python3
"""Writes the seed inputs of the byte[] fuzz targets (Jazzer's layout:
MODULE/src/test/resources/<package>/<Class>Inputs/<method>/seed-*), from the golden frames
captured with tcpdump (stack/src/test/resources/golden) and frames built with scapy the way
Linux sends them. Deterministic; run from the repository root: /usr/bin/python3 scripts/fuzz_seeds.py
(The FuzzedDataProvider targets get their seeds from short fuzzing runs instead.)"""
import glob
import os
import struct

from scapy.all import (ARP, ICMP, IP, UDP, TCP, Ether, IPv6, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6ND_NA,
                       ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptPrefixInfo, ICMPv6NDOptMTU,
                       ICMPv6NDOptDstLLAddr, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrRouting, PadN, RouterAlert, IPOption_RR, IPOption_Timestamp, raw, wrpcap)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def golden():
    out = {}
    for f in sorted(glob.glob(os.path.join(ROOT, "stack/src/test/resources/golden/*.hex"))):
        hexs = ""
        for line in open(f):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            hexs += line.split(":", 1)[1] if ":" in line else line
        out[os.path.basename(f)[:-4]] = bytes.fromhex("".join(hexs.split()))
    return out


def write(module, pkg, cls, method, name, data):
    d = os.path.join(ROOT, module, "src/test/resources", pkg.replace(".", "/"), cls + "Inputs", method)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as fh:
        fh.write(data)


A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"
E = Ether(src=A, dst=B)
SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None), ("WScale", 7)]
frames = {
    "tcp4-syn": E / IP(src="10.0.0.1", dst="10.0.0.2", id=1, flags="DF") / TCP(sport=40000, dport=80, flags="S", seq=1000, options=SYN_OPTS),
    "tcp4-ack-sack": E / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5000,
                                                                   options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2)), ("NOP", None), ("NOP", None), ("SAck", (6000, 7000, 8000, 9000))]) / b"x",
    "tcp6-syn": E / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=40000, dport=80, flags="S", options=SYN_OPTS),
    "udp6": E / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=5000) / b"hello",
    "icmp4-rr": E / IP(src="10.0.0.1", dst="10.0.0.2", options=[IPOption_RR(routers=["0.0.0.0"] * 9)]) / ICMP(id=1, seq=1) / b"0123456789abcdef",
    "icmp4-ts": E / IP(src="10.0.0.1", dst="10.0.0.2", options=[IPOption_Timestamp(flg=0, timestamp=0)]) / ICMP(id=1, seq=1),
    "icmp4-unreach": E / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=3, code=3) / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=5000, dport=9),
    "icmp6-echo": E / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=1, seq=1, data=b"abcdefgh"),
    "ns": Ether(src=A, dst="33:33:ff:00:00:02") / IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt="2001:db8::2") / ICMPv6NDOptSrcLLAddr(lladdr=A),
    "na": E / IPv6(src="fe80::1", dst="fe80::2", hlim=255) / ICMPv6ND_NA(tgt="fe80::1", R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=A),
    "ra": Ether(src=A, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=1800)
          / ICMPv6NDOptSrcLLAddr(lladdr=A) / ICMPv6NDOptMTU(mtu=1500) / ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64),
    "hbh-dst-frag": E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop(options=[RouterAlert()])
                    / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)]) / IPv6ExtHdrFragment(offset=0, m=1, id=7) / UDP(sport=1, dport=5000) / (b"z" * 16),
    "routing0": E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8::3"]) / ICMPv6EchoRequest(),
    "arp-probe": Ether(src=A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=A, psrc="0.0.0.0", pdst="10.0.0.2"),
}
frames = {k: raw(v) for k, v in frames.items()}
frames.update(golden())

S, W = "stack", "io.tapstack.wire"
for name, f in frames.items():
    write(S, W, "WireFuzzTarget", "ethernet", name, f)
    etype = struct.unpack(">H", f[12:14])[0]
    l3 = f[14:]
    if etype == 0x0806:
        write(S, W, "WireFuzzTarget", "arp", name, l3)
    elif etype == 0x0800:
        write(S, W, "WireFuzzTarget", "ipv4", name, l3)
        ihl = (l3[0] & 15) * 4
        l4 = l3[ihl:]
        if l3[9] == 1:
            write(S, W, "WireFuzzTarget", "icmpv4", name, l4)
        if l3[9] == 6:
            hl = (l4[12] >> 4) * 4
            write(S, W, "WireFuzzTarget", "tcpOptions", name, l4[20:hl])
    elif etype == 0x86DD:
        write(S, W, "WireFuzzTarget", "ipv6", name, l3)
        if l3[6] in (0, 43, 44, 60):
            write(S, W, "WireFuzzTarget", "ipv6Extensions", name, l3[40:])
        if l3[6] == 58 and l3[40] in (133, 134, 135, 136):
            start = {133: 8, 134: 16, 135: 24, 136: 24}[l3[40]]
            write(S, W, "WireFuzzTarget", "ndpOptions", name, l3[40 + start:])
        if l3[6] == 6:
            hl = (l3[40 + 12] >> 4) * 4
            write(S, W, "WireFuzzTarget", "tcpOptions", name, l3[60:40 + hl])

# pcap and pcapng files of these frames (scapy writes both; the readers must take them)
C = "capture"
pk = [Ether(v) for v in list(frames.values())[:6]]
for i, p in enumerate(pk):
    p.time = 1700000000 + i / 1000
tmp = "/tmp/tapstack-seed.pcap"
wrpcap(tmp, pk)
write(C, "io.tapstack.capture", "CaptureFileFuzzTarget", "readWriteRead", "scapy.pcap", open(tmp, "rb").read())
wrpcap(tmp, pk, nano=True)
write(C, "io.tapstack.capture", "CaptureFileFuzzTarget", "readWriteRead", "scapy-nano.pcap", open(tmp, "rb").read())
try:
    from scapy.utils import PcapNgWriter
    w = PcapNgWriter(tmp)
    for p in pk:
        w.write(p)
    w.close()
    write(C, "io.tapstack.capture", "CaptureFileFuzzTarget", "readWriteRead", "scapy.pcapng", open(tmp, "rb").read())
except ImportError:
    pass
os.remove(tmp)

# filter expressions from the tcpdump-checked list, each with a frame after a NUL
exprs = [l.strip() for l in open(os.path.join(ROOT, "capture/src/test/resources/capture/expressions.txt"))
         if l.strip() and not l.startswith("#") and not l.startswith("error:")]
fl = list(frames.values())
for i, e in enumerate(exprs[::6]):
    write(C, "io.tapstack.capture", "FilterCompilerFuzzTarget", "compile", "%03d" % i, e.encode() + b"\0" + fl[i % len(fl)])

# BPF programs: libpcap's own (tcpdump -dd), then a frame
import re
import subprocess
for i, e in enumerate(exprs[::12]):
    try:
        dd = subprocess.run(["tcpdump", "-dd", "-y", "EN10MB", e], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        break
    ins = [tuple(int(x, 0) for x in m) for m in re.findall(r"\{\s*(\w+),\s*(\w+),\s*(\w+),\s*(\w+)\s*\}", dd)]
    if not ins or len(ins) > 255:
        continue
    prog = bytes([len(ins)]) + b"".join(struct.pack(">HBBI", c, jt, jf, k & 0xffffffff) for c, jt, jf, k in ins)
    write(C, "io.tapstack.capture", "BpfFuzzTarget", "validateAndRun", "%03d" % i, prog + fl[i % len(fl)])
