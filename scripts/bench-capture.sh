#!/usr/bin/env bash
# The capture-cost cell (issue 14): what the capture tap costs a bulk transfer. One host with
# offloads (--offload csum,tso,lro) in a namespace this script creates; iperf3 from Linux to the
# host; three modes measured interleaved, run after run (the order rotates each run):
#   off      no capture attached
#   nomatch  `tapstack capture -s SNAPLEN -f 'udp port 9'` attached: the filter runs on every
#            frame and matches none
#   all      `tapstack capture -s SNAPLEN` with no filter: every frame copied and written to a file
# Each cell is "median [min–max]" of N runs; the ratio is median(mode) / median(off). Cross-checks
# (a run that fails one is void): iperf3's sender and receiver byte counts agree; "nomatch" writes
# no frame, "all" some. The control socket does not report the capture queue's drops, so "missed"
# counts them from outside: frames that crossed the TAP (its counters, read before the capture
# starts and after it stops, with iperf3 in between and nothing else running) minus frames in the
# file; above 0 the capture queue overflowed (or frames crossed before the capture was live).
# Needs root.
#
#   scripts/bench-capture.sh [--runs N] [--seconds S] [--snaplen N] [--quick]
#
#   --runs N      runs per mode (default 5)
#   --seconds S   length of each iperf3 run (default 5)
#   --snaplen N   bytes kept per frame (default 128: the headers, as the issue asks)
#   --rate G      pace iperf3 at G Gbit/s (iperf3 -b; default: as fast as it goes), e.g. 10 for
#                 the issue's "a 10 Gbit/s transfer's headers without drops"
#   --quick       2 runs of 1 s, to check the script: the figures mean little
#
# Host (its loop and the capture writer) on CPU 0, iperf3 and the capture client on CPU 1. "loop
# CPU" is the host's event-loop thread (/proc/PID/task/TID/stat) in seconds per GB received.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=5 SECS=5 SNAP=128 RATE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:-}; shift 2 ;;
    --seconds) SECS=${2:-}; shift 2 ;;
    --snaplen) SNAP=${2:-}; shift 2 ;;
    --rate) RATE=${2:-}; shift 2 ;;
    --quick) RUNS=2; SECS=1; shift ;;
    -h|--help) sed -n "2,27p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-capture: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$RUNS" "$SECS" "$SNAP" "$RATE"; do case "$v" in ''|*[!0-9]*) echo "bench-capture: numbers only" >&2; exit 2 ;; esac; done
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] && [ "$SNAP" -ge 1 ] && [ "$SNAP" -le 262144 ] \
  || { echo "bench-capture: --runs 1..20, --seconds 1..60, --snaplen 1..262144" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then echo "bench-capture: needs root" >&2; exit 1; fi
[ -f tools/target/tapstack.jar ] || mvn -B -q -ntp -DskipTests package
JAR=tools/target/tapstack.jar

NT="tscap-$$"
WORK="$(mktemp -d)"
HOST_PID="" CAP_PID=""
cleanup() {
  if [ -n "$CAP_PID" ]; then kill -TERM "$CAP_PID" 2>/dev/null || true; wait "$CAP_PID" 2>/dev/null || true; fi
  ns_cleanup "$NT" "$HOST_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ns_create "$NT" tap0 10.0.0.1/24
ip netns exec "$NT" taskset -c 0 java -Xms1g -Xmx1g -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
    --offload csum,tso,lro --services iperf3 --control "$WORK/host.sock" --quiet >"$WORK/host.log" 2>&1 &
HOST_PID=$!
wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }
LOOP_TID=$(grep -lx "tapstack-tap0" /proc/"$HOST_PID"/task/*/comm | head -1 | cut -d/ -f5)
[ -n "$LOOP_TID" ] || { echo "bench-capture: no loop thread 'tapstack-tap0' in the host" >&2; exit 1; }
CLK=$(getconf CLK_TCK)
ip netns exec "$NT" timeout 30 iperf3 -c 10.0.0.2 -t 3 >/dev/null 2>&1 || true # JIT warm-up

loop_ticks() { awk '{print $14 + $15}' /proc/"$HOST_PID"/task/"$LOOP_TID"/stat; }
tap_frames() { ip -n "$NT" -s link show tap0 | awk '/RX:/ {getline; rx=$2} /TX:/ {getline; tx=$2} END {printf "%.0f\n", rx+tx}'; }
pcap_records() { # FILE -> records in a pcap file
  /usr/bin/python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
end = ">" if b[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else "<"
i, n = 24, 0
while i + 16 <= len(b):
    i += 16 + struct.unpack(end + "I", b[i + 8:i + 12])[0]
    n += 1
print(n)
PY
}

# one run of MODE: "Gbit/s loop-cpu-s-per-GB frames-on-tap frames-captured" (nan if void)
run_mode() {
  local mode=$1 f0 f1 c0 c1 j cap=0
  rm -f "$WORK/cap.pcap"
  f0=$(tap_frames) # the TAP's window encloses the capture's: every frame captured is counted there
  case "$mode" in
    nomatch) taskset -c 1 java -jar "$JAR" capture --host "$WORK/host.sock" -s "$SNAP" -f 'udp port 9' -w "$WORK/cap.pcap" 2>>"$WORK/cap.log" & CAP_PID=$! ;;
    all) taskset -c 1 java -jar "$JAR" capture --host "$WORK/host.sock" -s "$SNAP" -w "$WORK/cap.pcap" 2>>"$WORK/cap.log" & CAP_PID=$! ;;
  esac
  if [ -n "$CAP_PID" ]; then # the file header arrives once the capture is live
    for _ in $(seq 1 100); do [ "$(stat -c %s "$WORK/cap.pcap" 2>/dev/null || echo 0)" -ge 24 ] && break; sleep 0.1; done
  fi
  c0=$(loop_ticks)
  j=$(ip netns exec "$NT" taskset -c 1 timeout $((SECS + 30)) iperf3 -c 10.0.0.2 -t "$SECS" $([ "$RATE" -gt 0 ] && echo "-b ${RATE}G") -J 2>/dev/null) || j='{"error": "iperf3 failed"}'
  c1=$(loop_ticks)
  if [ -n "$CAP_PID" ]; then
    kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; CAP_PID=""
    cap=$(pcap_records "$WORK/cap.pcap")
  fi
  f1=$(tap_frames)
  printf '%s' "$j" | /usr/bin/python3 -c '
import json, sys
mode, frames, cap, ticks, clk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
j = json.load(sys.stdin)
d = j.get("end", {})
s, r = d.get("sum_sent", {}).get("bytes", 0), d.get("sum_received", {}).get("bytes", 0)
ok = "error" not in j and s > 0 and abs(s - r) <= max(0.01 * s, 32 << 20)
if mode == "nomatch" and cap != 0: ok = False
if mode == "all" and cap == 0: ok = False
if not ok: print("bench-capture: %s run void (%s, sent %d, received %d, captured %d)" % (mode, j.get("error", "-"), s, r, cap), file=sys.stderr)
print("%.3f %.3f %d %d" % (d["sum_received"]["bits_per_second"] / 1e9, ticks / clk / (r / 1e9), frames, cap) if ok else "nan nan nan nan")
' "$mode" $((f1 - f0)) "$cap" $((c1 - c0)) "$CLK"
}

echo "bench-capture: $RUNS runs of ${SECS}s per mode, interleaved (order rotates); snaplen $SNAP; host on CPU 0, iperf3 on CPU 1" >&2
MODES=(off nomatch all)
for i in $(seq 0 $((RUNS - 1))); do
  for k in 0 1 2; do
    m=${MODES[$(( (i + k) % 3 ))]}
    echo "$(run_mode "$m")" >> "$WORK/$m.raw"
  done
done
kill -0 "$HOST_PID" || { echo "bench-capture: the host died" >&2; cat "$WORK/host.log" >&2; exit 1; }

stats() { grep -v nan | sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan nan nan 0"; exit}
  m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR], NR}'; }
cell() { # MODE FIELD -> "median [min–max]"
  awk -v f="$2" '{print $f}' "$WORK/$1.raw" | stats | awk '{ if ($1 == "nan") print "n/a"; else printf "%s [%s–%s]", $1, $2, $3 }'
}
median() { awk -v f="$2" '{print $f}' "$WORK/$1.raw" | stats | awk '{print $1}'; }
valid() { awk -v f=1 '{print $f}' "$WORK/$1.raw" | stats | awk '{print $4}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "n/a"; else printf "%.2f×", a / b }'; }
T0=$(median off 1) L0=$(median off 2)
echo
echo "Command: \`scripts/bench-capture.sh --runs $RUNS --seconds $SECS --snaplen $SNAP$([ "$RATE" -gt 0 ] && echo " --rate $RATE")\` on $(date -u +%Y-%m-%d); $(nproc) vCPUs, Linux $(uname -r). Linux→tapstack, iperf3, 1 stream, --offload csum,tso,lro; median [min–max] of $RUNS runs per mode, modes interleaved."
echo
echo "| capture | throughput, Gbit/s | vs off | loop CPU, s/GB | vs off | frames on the TAP per run | frames captured per run | missed (all) | valid runs |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in off nomatch all; do
  missed="–"
  if [ "$m" = all ]; then missed=$(awk '$1 != "nan" {print $3 - $4}' "$WORK/all.raw" | stats | awk '{ if ($1 == "nan") print "n/a"; else printf "%s [%s–%s]", $1, $2, $3 }'); fi
  echo "| $m | $(cell "$m" 1) | $(ratio "$(median "$m" 1)" "$T0") | $(cell "$m" 2) | $(ratio "$(median "$m" 2)" "$L0") | $(cell "$m" 3) | $(cell "$m" 4) | $missed | $(valid "$m")/$RUNS |"
done
