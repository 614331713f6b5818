#!/usr/bin/env bash
# One traced transfer under loss, with the RTT seen by ping beside the SRTT of the trace.
#
#   scripts/trace-loss.sh [--loss PCT] [--size MB] [--dir down|up] [--offload LIST] [--out DIR]
#
# kernel 10.0.0.1 <-TAP-> tapstack 10.0.0.2 (iperf3 service, --trace-tcp 5201) in a namespace
# this script creates and removes. Loss as in bench-loss.sh: what tapstack sends is dropped by
# an nftables netdev ingress chain on the TAP, what the kernel sends by --fault-rx-loss. The
# kernel side uses CUBIC (iperf3 -C cubic). Prints ping RTT idle and during the transfer (the
# queueing present), the trace's SRTT (median and 90th percentile over its ACKs) and counters,
# and writes OUT/trace.bin, OUT/trace.csv and OUT/trace.svg (tapstack trace --plot).
# Default: 5 % loss, 20 MB, down (tapstack sends), --offload none, OUT=./trace-out. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

LOSS=5
SIZE=20
DIR=down
OFFLOAD=none
OUT=trace-out
while [ $# -gt 0 ]; do
  case "$1" in
    --loss) LOSS=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --offload) OFFLOAD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "trace-loss: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$LOSS" in ''|*[!0-9]*) echo "trace-loss: --loss takes a whole percentage" >&2; exit 2 ;; esac
case "$SIZE" in ''|*[!0-9]*) echo "trace-loss: --size needs a whole number of MB" >&2; exit 2 ;; esac
[ "$LOSS" -le 50 ] && [ "$SIZE" -ge 1 ] && [ "$SIZE" -le 1000 ] || { echo "trace-loss: loss 0..50, size 1..1000" >&2; exit 2; }
case "$DIR" in down|up) ;; *) echo "trace-loss: --dir down|up" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then echo "trace-loss: needs root" >&2; exit 1; fi

JAR=tools/target/tapstack.jar
[ -f "$JAR" ] || mvn -B -q -ntp -DskipTests package -pl tools -am
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
NT="tstrace-$$"
WORK="$(mktemp -d)"
HOST_PID=""
PING_PID=""
cleanup() {
  if [ -n "$PING_PID" ]; then kill "$PING_PID" 2>/dev/null || true; fi
  ns_cleanup "$NT" "$HOST_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ns_create "$NT" tap0 10.0.0.1/24
nft_drop_table "$NT" tap0 tstrace
nft_drop_rate "$NT" tstrace 10.0.0.2 "$LOSS"
ip netns exec "$NT" java -Xms1g -Xmx1g -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
    --offload "$OFFLOAD" --services iperf3 --control "$WORK/host.sock" \
    --fault-rx-loss "$LOSS" --fault-seed 7 --trace-tcp 5201 --trace-file "$OUT/trace.bin" >"$WORK/host.log" 2>&1 &
HOST_PID=$!
wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }

idle=$(ip netns exec "$NT" ping -q -c 20 -i 0.05 10.0.0.2 | awk -F/ '/^rtt/ {print $5}')
R=""; [ "$DIR" = down ] && R=-R
ip netns exec "$NT" ping -q -i 0.01 -w $((30 + SIZE * 4)) 10.0.0.2 >"$WORK/ping.log" 2>&1 &
PING_PID=$!
ip netns exec "$NT" timeout $((30 + SIZE * 4)) iperf3 -c 10.0.0.2 -n "${SIZE}M" -C cubic $R -J >"$WORK/iperf.json" || true
kill -INT "$PING_PID" 2>/dev/null || true
wait "$PING_PID" 2>/dev/null || true
PING_PID=""
stat=$(java -jar "$JAR" stat --all --host "$WORK/host.sock")
kill -TERM "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""
dropped=$(nft_drop_count "$NT" tstrace)

java -jar "$JAR" trace --csv "$OUT/trace.bin" >"$OUT/trace.csv"
java -jar "$JAR" trace --plot "$OUT/trace.svg" "$OUT/trace.bin"
/usr/bin/python3 - "$WORK/iperf.json" "$OUT/trace.csv" "$WORK/ping.log" "$idle" "$DIR" "$LOSS" "$SIZE" "$dropped" <<'PY'
import csv, json, statistics, sys
ipf, trace, pingf, idle, d, loss, size, dropped = sys.argv[1:]
try:
    g = json.load(open(ipf))["end"]["sum_received"]["bits_per_second"] / 1e9
except Exception:
    g = float("nan")
rows = list(csv.DictReader(open(trace)))
conns = {}
for r in rows:
    conns.setdefault(r["conn"], []).append(r)
data = max(conns.values(), key=len) if conns else []
acks = [float(r["srtt_ms"]) for r in data if r["event"] == "ack" and float(r["srtt_ms"]) > 0]
ev = {}
for r in data:
    ev[r["event"]] = ev.get(r["event"], 0) + 1
load = [l for l in open(pingf) if l.startswith("rtt")]
loaded = load[0].split("=")[1].split("/")[1] if load else "?"
print("trace-loss: %s MB %s at %s %% loss: %.3f Gbit/s; TAP ingress dropped %s frames" % (size, d, loss, g, dropped))
print("ping RTT: idle %s ms, during the transfer %s ms (avg)" % (idle, loaded))
if acks:
    q = statistics.quantiles(acks, n=10)
    print("trace SRTT over %d ACKs (sender tapstack): median %.3f ms, p90 %.3f ms, max %.3f ms" % (len(acks), statistics.median(acks), q[8], max(acks)))
else:
    print("trace: no ACK with an RTT sample (tapstack is the receiver: its trace holds few samples)")
print("trace events: " + ", ".join("%s %d" % kv for kv in sorted(ev.items())))
PY
echo "$stat" | awk '/^tcp:$/ {t=1; next} /^[a-z0-9_]+:$/ {t=0} t && NF==2 && $2 ~ /^(rto_timeouts|tlp_probes|retransmitted_segments|spurious_rtos|spurious_retransmits|cwnd_undos|tx_segments|recovery_episodes)$/ {printf "tapstack %s %s\n", $2, $1}'
echo "trace-loss: wrote $OUT/trace.bin, $OUT/trace.csv, $OUT/trace.svg"
