#!/usr/bin/env bash
# Benchmarks tapstack side by side with the Linux kernel and Netty, in one run, on this
# machine, and prints one table (medians of several runs, with ratios). Needs root.
#
#   scripts/bench.sh [--runs N] [--seconds S] [--record]
#
# --record writes the table into docs/performance.md (between the bench markers).
# Everything runs in network namespaces this script creates and removes: a TAP namespace
# (kernel side 10.0.0.1, tapstack 10.0.0.2) and two namespaces joined by a veth
# (10.1.0.1 client, 10.1.0.2 server) for the kernel and Netty baselines. The server is
# pinned to CPU 0 and the load generator to CPU 1. Runs tools/target/tapstack.jar (the host)
# and benchmarks/target/tapstack-bench.jar (netty-http, rr); builds them if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=3
SECS=4
RECORD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --record) RECORD=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*) echo "bench: --runs needs a number" >&2; exit 2 ;; esac
case "$SECS" in ''|*[!0-9]*) echo "bench: --seconds needs a whole number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "bench: --runs must be 1..20" >&2; exit 2; }
[ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] || { echo "bench: --seconds must be 1..60" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then echo "bench: needs root" >&2; exit 1; fi

scripts/install-deps.sh >/dev/null
JAR=tools/target/tapstack.jar                  # the host under test (tapstack run, stat)
BENCH_JAR=benchmarks/target/tapstack-bench.jar # the Netty baseline server and the rr client
{ [ -f "$JAR" ] && [ -f "$BENCH_JAR" ]; } || mvn -B -q -ntp -DskipTests package

NT="tsbench-tap-$$"
NA="tsbench-a-$$"
NB="tsbench-b-$$"
WORK="$(mktemp -d)"
HOST_PID=""
SRV_PID=""
cleanup() {
  ns_cleanup "$NT" "$HOST_PID"
  ns_cleanup "$NB" "$SRV_PID"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# the same small response for both HTTP servers
mkdir -p "$WORK/www"
printf 'Hello, world!\n' > "$WORK/www/hello.txt"

ns_create "$NT" tap0 10.0.0.1/24
ip netns add "$NA"; ip netns add "$NB"
ip -n "$NA" link set lo up; ip -n "$NB" link set lo up
ip -n "$NA" link add veth0 type veth peer name veth1 netns "$NB"
ip -n "$NA" addr add 10.1.0.1/24 dev veth0; ip -n "$NB" addr add 10.1.0.2/24 dev veth1
ip -n "$NA" link set veth0 up; ip -n "$NB" link set veth1 up

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
CLK=$(getconf CLK_TCK)

start_host() { # OFFLOAD
  HOST_PID=""
  ip netns exec "$NT" taskset -c 0 java -Xms1g -Xmx1g -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
      --offload "$1" --services iperf3,echo,http --http-root "$WORK/www" --control "$WORK/host.sock" --quiet \
      >"$WORK/host.log" 2>&1 &
  HOST_PID=$!
  wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }
  # let the JIT see the hot paths before measuring
  ip netns exec "$NT" timeout 20 iperf3 -c 10.0.0.2 -t 1 >/dev/null 2>&1 || true
}
stop_host() {
  if [ -n "$HOST_PID" ]; then kill -TERM "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""; fi
}

# Heap bytes the host's loop thread allocates per MB moved, in steady state: the difference
# between a short and a long transfer, so per-connection set-up (rings, JSON) cancels out.
alloc_per_mb() { # EXTRA...
  local a b bytes1 bytes2 a1 a2
  measure() {
    a=$(java -jar "$JAR" stat --host "$WORK/host.sock" | awk '/ allocated_bytes$/ {print $1}')
    bytes=$(ip netns exec "$NT" taskset -c 1 timeout $((SECS + 30)) iperf3 -c 10.0.0.2 -t "$1" -J "${@:2}" 2>/dev/null \
      | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bytes"])')
    b=$(java -jar "$JAR" stat --host "$WORK/host.sock" | awk '/ allocated_bytes$/ {print $1}')
    echo "$bytes $((b - a))"
  }
  read -r bytes1 a1 < <(measure 1 "$@")
  read -r bytes2 a2 < <(measure $((SECS + 1)) "$@")
  awk -v b1="$bytes1" -v b2="$bytes2" -v x1="$a1" -v x2="$a2" 'BEGIN { d = (x2 - x1) * 1048576 / (b2 - b1); if (d < 0) d = 0; printf "%.2f", d }'
}

# wrk against URL from namespace NS: "requests/s p50 p99 server-CPU-µs-per-request" (server PID)
wrk_run() { # NS URL PID
  local before after out req
  before=$(ticks "$3")
  out=$(ip netns exec "$1" taskset -c 1 timeout $((SECS + 20)) wrk -t1 -c50 -d"${SECS}s" --latency "$2")
  after=$(ticks "$3")
  req=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  echo "$req $(echo "$out" | awk '$1=="50%"{p50=$2} $1=="99%"{p99=$2} END {print p50, p99}') $(awk -v t=$((after-before)) -v c="$CLK" -v r="$req" -v s="$SECS" 'BEGIN {printf "%.2f", (r>0)? t/c*1e6/(r*s) : 0}')"
}

iperf_gbps() { # NS SERVER_IP EXTRA...  -> Gbit/s received
  local ns=$1 ip=$2; shift 2
  ip netns exec "$ns" taskset -c 1 timeout $((SECS + 20)) iperf3 -c "$ip" -t "$SECS" -J "$@" 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' \
    || echo nan
}
runs() { # CMD... -> median of RUNS runs
  local i
  for i in $(seq 1 "$RUNS"); do "$@"; done | median
}

declare -A R
echo "bench: $RUNS runs of ${SECS}s each; server on CPU 0, load on CPU 1"

# ---- TCP throughput: tapstack with each offload combination ----
for off in none csum tso lro csum,tso,lro; do
  start_host "$off"
  R["tx1_$off"]=$(runs iperf_gbps "$NT" 10.0.0.2 -R)
  R["rx1_$off"]=$(runs iperf_gbps "$NT" 10.0.0.2)
  R["tx4_$off"]=$(runs iperf_gbps "$NT" 10.0.0.2 -R -P 4)
  R["rx4_$off"]=$(runs iperf_gbps "$NT" 10.0.0.2 -P 4)
  if [ "$off" = "none" ] || [ "$off" = "csum,tso,lro" ]; then
    R["alloc_rx_$off"]=$(alloc_per_mb)
    R["alloc_tx_$off"]=$(alloc_per_mb -R)
  fi
  echo "bench: offload=$off  Linux->tapstack ${R[rx1_$off]} Gbit/s, tapstack->Linux ${R[tx1_$off]} Gbit/s (1 stream)"
  if [ "$off" = "csum,tso,lro" ]; then
    # ---- HTTP and round trips against tapstack (all offloads) ----
    # the same 2 s warm-up Netty gets below
    ip netns exec "$NT" timeout 20 wrk -t1 -c50 -d2s http://10.0.0.2/hello.txt >/dev/null
    for i in $(seq 1 "$RUNS"); do wrk_run "$NT" http://10.0.0.2/hello.txt "$HOST_PID"; done > "$WORK/wrk_tap"
    R[http_tap]=$(awk '{print $1}' "$WORK/wrk_tap" | median)
    R[http_tap_p50]=$(awk '{print $2}' "$WORK/wrk_tap" | head -1)
    R[http_tap_p99]=$(awk '{print $3}' "$WORK/wrk_tap" | head -1)
    R[http_tap_cpu]=$(awk '{print $4}' "$WORK/wrk_tap" | median)
    R[rr_tap]=$(runs bash -c "ip netns exec $NT taskset -c 1 java -jar $BENCH_JAR rr --host 10.0.0.2 --port 7 --seconds $SECS | sed -E 's/.*: ([0-9]+) per second.*/\1/'")
    R[ping_tap]=$(ip netns exec "$NT" ping -c 200 -i 0.005 -q 10.0.0.2 | awk -F/ '/^rtt/ {print $5}')
  fi
  stop_host
done

# ---- the kernel over a veth: iperf3, Netty HTTP, echo round trips, ping ----
ip netns exec "$NB" taskset -c 0 iperf3 -s -D -p 5201 --pidfile "$WORK/iperf.pid"
sleep 0.5
R[k1]=$(runs iperf_gbps "$NA" 10.1.0.2)
R[k4]=$(runs iperf_gbps "$NA" 10.1.0.2 -P 4)
kill "$(cat "$WORK/iperf.pid")" 2>/dev/null || true
ip netns exec "$NB" taskset -c 0 java -Xms1g -Xmx1g -jar "$BENCH_JAR" netty-http --port 80 --echo-port 7 --root "$WORK/www" \
    >"$WORK/netty.log" 2>&1 &
SRV_PID=$!
wait_for_line "$WORK/netty.log" "netty-http: ready" 30 || { cat "$WORK/netty.log" >&2; exit 1; }
ip netns exec "$NA" timeout 20 wrk -t1 -c50 -d2s http://10.1.0.2/hello.txt >/dev/null
for i in $(seq 1 "$RUNS"); do wrk_run "$NA" http://10.1.0.2/hello.txt "$SRV_PID"; done > "$WORK/wrk_netty"
R[http_netty]=$(awk '{print $1}' "$WORK/wrk_netty" | median)
R[http_netty_p50]=$(awk '{print $2}' "$WORK/wrk_netty" | head -1)
R[http_netty_p99]=$(awk '{print $3}' "$WORK/wrk_netty" | head -1)
R[http_netty_cpu]=$(awk '{print $4}' "$WORK/wrk_netty" | median)
R[rr_kernel]=$(runs bash -c "ip netns exec $NA taskset -c 1 java -jar $BENCH_JAR rr --host 10.1.0.2 --port 7 --seconds $SECS | sed -E 's/.*: ([0-9]+) per second.*/\1/'")
R[ping_kernel]=$(ip netns exec "$NA" ping -c 200 -i 0.005 -q 10.1.0.2 | awk -F/ '/^rtt/ {print $5}')
kill -TERM "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=""

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 > 0 && a == a+0) printf "%.2f", a/b; else print "n/a" }'; }
mark() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "n/a") print "n/a"; else if (r+0 >= t+0) print "met"; else print "missed" }'; }

TABLE="$WORK/table.md"
{
  echo "Machine: $(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r), $(java -version 2>&1 | head -1)."
  echo "Command: \`scripts/bench.sh --runs $RUNS --seconds $SECS\` on $(date -u +%Y-%m-%d). Medians of $RUNS runs of ${SECS} s; server on CPU 0, load generator on CPU 1."
  echo
  echo "| TCP throughput (Gbit/s, iperf3) | Linux→tapstack 1 stream | 4 streams | tapstack→Linux 1 stream | 4 streams |"
  echo "|---|---|---|---|---|"
  for off in none csum tso lro csum,tso,lro; do
    echo "| tapstack, offload $off | ${R[rx1_$off]} | ${R[rx4_$off]} | ${R[tx1_$off]} | ${R[tx4_$off]} |"
  done
  echo "| Linux ↔ Linux over a veth (ceiling) | ${R[k1]} | ${R[k4]} | ${R[k1]} | ${R[k4]} |"
  echo
  echo "| HTTP (wrk -t1 -c50, 14-byte file) | requests/s | p50 | p99 | server CPU µs/request |"
  echo "|---|---|---|---|---|"
  echo "| tapstack http (all offloads) | ${R[http_tap]} | ${R[http_tap_p50]} | ${R[http_tap_p99]} | ${R[http_tap_cpu]} |"
  echo "| Netty 4.2 epoll, 1 I/O thread, veth | ${R[http_netty]} | ${R[http_netty_p50]} | ${R[http_netty_p99]} | ${R[http_netty_cpu]} |"
  echo
  echo "| Allocation on the data path (loop thread, steady state) | Linux→tapstack | tapstack→Linux |"
  echo "|---|---|---|"
  echo "| bytes allocated per MB moved, offload none | ${R[alloc_rx_none]} | ${R[alloc_tx_none]} |"
  echo "| bytes allocated per MB moved, offload csum,tso,lro | ${R[alloc_rx_csum,tso,lro]} | ${R[alloc_tx_csum,tso,lro]} |"
  echo
  echo "| Latency | tapstack | kernel over a veth |"
  echo "|---|---|---|"
  echo "| 1-byte TCP round trips/s (tapstack-bench rr vs echo) | ${R[rr_tap]} | ${R[rr_kernel]} (Netty echo) |"
  echo "| ping RTT avg (ms) | ${R[ping_tap]} | ${R[ping_kernel]} |"
  echo
  r1=$(ratio "${R[rx1_csum,tso,lro]}" "${R[k1]}"); r2=$(ratio "${R[tx1_csum,tso,lro]}" "${R[k1]}")
  r3=$(ratio "${R[rx1_csum,tso,lro]}" "${R[rx1_none]}"); r4=$(ratio "${R[tx1_csum,tso,lro]}" "${R[tx1_none]}")
  r5=$(ratio "${R[http_tap]}" "${R[http_netty]}")
  echo "| Target | measured | |"
  echo "|---|---|---|"
  echo "| ≥ 5 Gbit/s single stream, Linux→tapstack (offloads) | ${R[rx1_csum,tso,lro]} | $(mark "${R[rx1_csum,tso,lro]}" 5) |"
  echo "| ≥ 5 Gbit/s single stream, tapstack→Linux (offloads) | ${R[tx1_csum,tso,lro]} | $(mark "${R[tx1_csum,tso,lro]}" 5) |"
  echo "| ≥ 0.5× kernel veth, Linux→tapstack | ${r1}× | $(mark "$r1" 0.5) |"
  echo "| ≥ 0.5× kernel veth, tapstack→Linux | ${r2}× | $(mark "$r2" 0.5) |"
  echo "| offloads ≥ 3× no-offload, Linux→tapstack | ${r3}× | $(mark "$r3" 3) |"
  echo "| offloads ≥ 3× no-offload, tapstack→Linux | ${r4}× | $(mark "$r4" 3) |"
  echo "| HTTP ≥ 0.7× Netty | ${r5}× | $(mark "$r5" 0.7) |"
  # per packet: a MB is 724 segments of 1448 bytes; under one byte per packet means no per-packet object
  az=$(awk -v a="${R[alloc_rx_csum,tso,lro]}" -v b="${R[alloc_tx_csum,tso,lro]}" 'BEGIN { m = (a > b) ? a : b; printf "%.4f B/packet | %s", m / 724, (m / 724 < 1) ? "met" : "missed" }')
  echo "| zero bytes allocated per packet (steady state, worst direction) | $az |"
} > "$TABLE"
echo
cat "$TABLE"
if [ "$RECORD" = 1 ]; then
  /usr/bin/python3 - "$TABLE" docs/performance.md <<'PY'
import sys, re
table = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read()
block = "<!-- bench:start -->\n" + table + "<!-- bench:end -->"
if "<!-- bench:start -->" in doc:
    doc = re.sub(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda m: block, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
  echo "bench: recorded in docs/performance.md"
fi
