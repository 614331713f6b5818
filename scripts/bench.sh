#!/usr/bin/env bash
# Benchmarks tapstack side by side with the Linux kernel (and Netty), in one run, on this machine,
# and prints tables in which every cell is "median [min–max]" of N runs, with the ratio against a
# baseline measured interleaved with it (tapstack run, baseline run, tapstack run, ...) under the
# same pinning (server side on CPU 0, load generator on CPU 1). A cell whose cross-check failed in
# any run (iperf3 sender/receiver bytes, the TAP's byte counters, wrk errors or non-2xx answers)
# prints "void" instead of a ratio. Needs root.
#
#   scripts/bench.sh [--runs N] [--seconds S] [--quick] [--record]
#
#   --runs N      runs per cell and side (default 5)
#   --seconds S   length of each throughput/HTTP/RR run (default 3)
#   --quick       2 runs of 1 s, for development: the figures mean little
#   --record      write the tables into docs/performance.md and SVG charts into docs/bench/
#
# Baselines: the kernel over a veth between two namespaces, in the same direction as the tapstack
# cell (-R measured too), with the veth's offloads off (ethtool) beside --offload none and on
# beside --offload csum,tso,lro; RR against a kernel echo server (socat); ping 1, 5 and 200 ms apart
# with a C echo on a TAP as the lower bound column (scripts/lib/tap_echo.c); HTTP against Netty 4.2
# epoll over the veth. On a veth the receiver's protocol work runs in softirq on the sender's CPU:
# the CPU column is system-wide busy time of both CPUs per GB, for both sides alike.
# Everything runs in namespaces this script creates and removes (TAP: kernel 10.0.0.1, tapstack
# 10.0.0.2; veth: 10.1.0.1 client, 10.1.0.2 server).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=5
SECS=3
RECORD=0
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:-}; shift 2 ;;
    --seconds) SECS=${2:-}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --record) RECORD=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*) echo "bench: --runs needs a number" >&2; exit 2 ;; esac
case "$SECS" in ''|*[!0-9]*) echo "bench: --seconds needs a whole number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "bench: --runs must be 1..20" >&2; exit 2; }
[ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] || { echo "bench: --seconds must be 1..60" >&2; exit 2; }
if [ "$QUICK" = 1 ]; then RUNS=2; SECS=1; fi
if [ "$(id -u)" -ne 0 ]; then echo "bench: needs root" >&2; exit 1; fi

scripts/install-deps.sh >/dev/null
[ -f tools/target/tapstack.jar ] && [ -f benchmarks/target/tapstack-bench.jar ] || mvn -B -q -ntp -DskipTests package
JAR=tools/target/tapstack.jar
BENCH_JAR=benchmarks/target/tapstack-bench.jar

NT="tsbench-tap-$$"
NA="tsbench-a-$$"
NB="tsbench-b-$$"
NC="tsbench-c-$$"
ECHO_PID=""
WORK="$(mktemp -d)"
HOST_PID=""
PIDS=()
cleanup() {
  ns_cleanup "$NT" "$HOST_PID"
  ns_cleanup "$NC" "$ECHO_PID"
  ns_cleanup "$NB" "${PIDS[@]}"
  ns_cleanup "$NA"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/www"
printf 'Hello, world!\n' > "$WORK/www/hello.txt"

ns_create "$NT" tap0 10.0.0.1/24
# the lower bound of ping through any TAP-based stack: a C responder spinning on its own TAP
ns_create "$NC" tap0 10.0.0.1/24
cc -O2 -o "$WORK/tap_echo" scripts/lib/tap_echo.c
veth_create "$NA" "$NB"
veth_up "$NA" "$NB"

CLK=$(getconf CLK_TCK)
CSV="$WORK/runs.csv"   # section,cell,side,value,void
echo "section,cell,side,value,void" > "$CSV"

# ---------------------------------------------------------------- servers
veth_offloads() { # on|off
  ip netns exec "$NA" ethtool -K veth0 tso "$1" gso "$1" gro "$1" tx "$1" rx "$1" >/dev/null 2>&1 || true
  ip netns exec "$NB" ethtool -K veth1 tso "$1" gso "$1" gro "$1" tx "$1" rx "$1" >/dev/null 2>&1 || true
}
ip netns exec "$NB" taskset -c 0 iperf3 -s -p 5201 >/dev/null 2>&1 & PIDS+=($!)
ip netns exec "$NB" taskset -c 0 socat TCP-LISTEN:7,reuseaddr,fork PIPE >/dev/null 2>&1 & PIDS+=($!)
ip netns exec "$NB" taskset -c 0 java -Xms1g -Xmx1g -jar "$BENCH_JAR" netty-http --port 80 --echo-port 8007 --root "$WORK/www" \
    >"$WORK/netty.log" 2>&1 & PIDS+=($!)
NETTY_PID=$!
wait_for_line "$WORK/netty.log" "netty-http: ready" 30 || { cat "$WORK/netty.log" >&2; exit 1; }

start_host() { # OFFLOAD
  ip netns exec "$NT" taskset -c 0 java -Xms1g -Xmx1g -jar "$JAR" run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
      --offload "$1" --services iperf3,echo,http --http-root "$WORK/www" --control "$WORK/host.sock" --quiet \
      >"$WORK/host.log" 2>&1 &
  HOST_PID=$!
  wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }
  # the same warm-up for the JIT of both sides
  ip netns exec "$NT" timeout 20 iperf3 -c 10.0.0.2 -t 2 >/dev/null 2>&1 || true
  ip netns exec "$NA" timeout 20 iperf3 -c 10.1.0.2 -t 2 >/dev/null 2>&1 || true
}
stop_host() {
  if [ -n "$HOST_PID" ]; then kill -TERM "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""; fi
}
stat_value() { # GROUP NAME -> the host's counter
  java -jar "$JAR" stat --host "$WORK/host.sock" -a | awk -v g="$1:" -v n="$2" '/^[a-z0-9_]+:$/ {s=$1} s==g && $2==n {print $1; exit}'
}

# ---------------------------------------------------------------- measurements (one run each)
# (%.0f: mawk's %d stops at 2^31)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; } # a process's CPU time, ns
cpu_busy() { awk '/^cpu[01] / {b+=$2+$3+$4+$7+$8} END {printf "%.0f\n", b}' /proc/stat; }
tap_bytes() { ip -n "$NT" -s link show tap0 | awk '/RX:/ {getline; rx=$1} /TX:/ {getline; tx=$1} END {printf "%.0f\n", rx+tx}'; }
# iperf3 run from NS to IP: prints "Gbit/s cpu-s-per-GB" or "nan nan" if a cross-check failed
iperf_run() { # NS IP CHECK_TAP EXTRA...
  local ns=$1 ip=$2 check=$3 j c0 c1 t0 t1; shift 3
  c0=$(cpu_busy); t0=$(tap_bytes)
  j=$(ip netns exec "$ns" taskset -c 1 timeout $((SECS + 30)) iperf3 -c "$ip" -t "$SECS" -J "$@" 2>/dev/null) || { echo "nan nan"; return; }
  c1=$(cpu_busy); t1=$(tap_bytes)
  printf '%s' "$j" | /usr/bin/python3 -c '
import json, sys
check, link, cpu, clk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
j = json.load(sys.stdin)
if "error" in j:
    print("bench: iperf3: " + j["error"], file=sys.stderr); print("nan nan"); sys.exit()
d = j["end"]
s, r = d["sum_sent"]["bytes"], d["sum_received"]["bytes"]
# sender and receiver agree within 1 %, or within what the socket buffers of the streams hold when
# the test ends (32 MiB a stream: autotuned send and receive buffers, the kernel baseline included)
streams = len(j.get("start", {}).get("connected", [])) or 1
ok = s > 0 and abs(s - r) <= max(0.01 * s, streams * (32 << 20))
why = "sent %d, received %d" % (s, r)
# bytes on the TAP (both directions: data and ACKs) cover the payload and not much more
if ok and check == "tap":
    ok = r <= link <= 1.10 * s + (8 << 20)
    why = "received %d, TAP counted %d" % (r, link)
if not ok:
    print("bench: cross-check failed: " + why, file=sys.stderr)
gb = r / 1e9
print("%.3f %.3f" % (d["sum_received"]["bits_per_second"] / 1e9, cpu / clk / gb) if ok else "nan nan")
' "$check" $((t1 - t0)) $((c1 - c0)) "$CLK"
}
# wrk: "requests/s p50-ms p99-ms" or "nan nan nan" on socket errors or non-2xx answers
wrk_run() { # NS URL
  local out
  out=$(ip netns exec "$1" taskset -c 1 timeout $((SECS + 20)) wrk -t1 -c50 -d"${SECS}s" --latency "$2" 2>&1) || { echo "nan nan nan"; return; }
  if echo "$out" | grep -Eq 'Socket errors|Non-2xx'; then echo "bench: wrk reported errors for $2:" >&2; echo "$out" | grep -E 'Socket errors|Non-2xx' >&2; echo "nan nan nan"; return; fi
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^Requests\/sec/ {r=$2} $1=="50%" {p50=ms($2)} $1=="99%" {p99=ms($2)} END {printf "%s %.3f %.3f\n", r, p50, p99}'
}
rr_run() { # NS IP PORT -> round trips per second
  ip netns exec "$1" taskset -c 1 timeout $((SECS + 20)) java -jar "$BENCH_JAR" rr --host "$2" --port "$3" --seconds "$SECS" 2>/dev/null \
    | sed -nE 's/.*: ([0-9]+) per second.*/\1/p' | grep . || echo nan
}
ping_run() { # NS IP INTERVAL COUNT -> avg RTT ms (nan if a ping went unanswered)
  ip netns exec "$1" taskset -c 1 ping -n -c "$4" -i "$3" -W 1 -q "$2" 2>/dev/null \
    | awk -F/ -v n="$4" '/ received/ {ok = ($0 ~ (" " n " received"))} /^rtt/ && ok {print $5}' | grep . || echo nan
}
# ping against the C echo (scripts/lib/tap_echo.c) spinning on CPU 0 for this run only
echo_ping_run() { # INTERVAL COUNT
  rm -f "$WORK/echo.log" # not the last run's "ready"
  ip netns exec "$NC" taskset -c 0 "$WORK/tap_echo" tap0 10.0.0.2 busy \
      "$(awk -v i="$1" -v n="$2" 'BEGIN {printf "%d", i * n + 15}')" >"$WORK/echo.log" 2>&1 &
  ECHO_PID=$!
  if wait_for_line "$WORK/echo.log" "tap_echo: ready" 10; then ping_run "$NC" 10.0.0.2 "$1" "$2"; else echo nan; fi
  kill -TERM "$ECHO_PID" 2>/dev/null || true; wait "$ECHO_PID" 2>/dev/null || true; ECHO_PID=""
}

# ---------------------------------------------------------------- cells
stats() { # values on stdin -> "median min max n" (nan values ignored)
  grep -v nan | sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan nan nan 0"; exit}
    m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR], NR}'
}
fmt() { # median min max -> "m [lo–hi]"
  awk -v m="$1" -v lo="$2" -v hi="$3" 'BEGIN { if (m == "nan") print "n/a"; else printf "%s [%s–%s]", m, lo, hi }'
}
TABLES="$WORK/tables.md"
: > "$TABLES"
# measure "TAPSTACK CMD" "BASELINE CMD" ["LOWER BOUND CMD"]: RUNS interleaved runs of each
# (tapstack, baseline, [bound,] tapstack, ...), their output lines kept for the rows below
measure() {
  local i
  : > "$WORK/t.raw"; : > "$WORK/b.raw"; : > "$WORK/l.raw"
  for i in $(seq 1 "$RUNS"); do
    eval "$1" >> "$WORK/t.raw"
    eval "$2" >> "$WORK/b.raw"
    if [ -n "${3:-}" ]; then eval "$3" >> "$WORK/l.raw"; fi
  done
}
# csv_row SECTION NAME SIDE VALUE: one run into the CSV the charts are drawn from; section and cell
# names are quoted (they hold commas: "TCP --offload csum,tso,lro", "ping RTT avg, ms, ...")
csv_row() {
  printf '"%s","%s",%s,%s,%s\n' "${1//\"/\"\"}" "${2//\"/\"\"}" "$3" "$4" "$([ "$4" = nan ] && echo 1 || echo 0)" >> "$CSV"
}
# row SECTION NAME BETTER(higher|lower) FIELD: one table row from the last measure's field FIELD
row() {
  local section=$1 name=$2 better=$3 field=$4 v
  awk -v f="$field" '{print $f}' "$WORK/t.raw" > "$WORK/t"
  awk -v f="$field" '{print $f}' "$WORK/b.raw" > "$WORK/b"
  while read -r v; do csv_row "$section" "$name" tapstack "$v"; done < "$WORK/t"
  while read -r v; do csv_row "$section" "$name" baseline "$v"; done < "$WORK/b"
  read -r tm tl th tn < <(stats < "$WORK/t")
  read -r bm bl bh bn < <(stats < "$WORK/b")
  local ratio
  if [ "$tn" -lt "$RUNS" ] || [ "$bn" -lt "$RUNS" ]; then
    ratio="void ($((RUNS - tn)) + $((RUNS - bn)) runs failed a cross-check)"
  else
    ratio=$(awk -v t="$tm" -v b="$bm" -v hb="$better" 'BEGIN { if (b+0 == 0 || t+0 == 0) print "n/a"; else if (hb == "higher") printf "%.2f×", t/b; else printf "%.2f× (baseline/tapstack)", b/t }')
  fi
  local bound=""
  if [ -s "$WORK/l.raw" ]; then
    # the lower bound column: what a C program on a TAP gets, and the same ratio for it
    read -r lm ll lh ln < <(awk -v f="$field" '{print $f}' "$WORK/l.raw" | stats)
    bound=" $(fmt "$lm" "$ll" "$lh"), $(awk -v l="$lm" -v b="$bm" -v n="$ln" -v r="$RUNS" -v hb="$better" 'BEGIN {
      if (n < r) print "void"; else if (b+0 == 0 || l+0 == 0) print "n/a"; else if (hb == "higher") printf "%.2f×", l/b; else printf "%.2f×", b/l }') |"
  fi
  echo "| $name | $(fmt "$tm" "$tl" "$th") | $(fmt "$bm" "$bl" "$bh") | $ratio |$bound" >> "$TABLES"
  echo "bench: $section / $name: tapstack $(fmt "$tm" "$tl" "$th"), baseline $(fmt "$bm" "$bl" "$bh"), $ratio" >&2
}
header() { # TITLE BASELINE-NAME UNIT [LOWER-BOUND-NAME]
  if [ -n "${4:-}" ]; then
    { echo; echo "**$1** ($3; baseline: $2; lower bound: $4)"; echo; echo "| cell | tapstack | baseline | ratio | lower bound, same ratio |"; echo "|---|---|---|---|---|"; } >> "$TABLES"
  else
    { echo; echo "**$1** ($3; baseline: $2)"; echo; echo "| cell | tapstack | baseline | ratio |"; echo "|---|---|---|---|"; } >> "$TABLES"
  fi
}

echo "bench: $RUNS runs of ${SECS}s per cell and side, interleaved; server side on CPU 0, load on CPU 1" >&2

for off in none csum,tso,lro; do
  start_host "$off"
  if [ "$off" = none ]; then veth_offloads off; kname="kernel over a veth, offloads off"; else veth_offloads on; kname="kernel over a veth, offloads on"; fi
  sec="TCP --offload $off"
  header "TCP throughput, tapstack --offload $off" "$kname, same direction" "Gbit/s, iperf3; CPU: seconds of both CPUs, system-wide, per GB received"
  measure "iperf_run $NT 10.0.0.2 tap" "iperf_run $NA 10.1.0.2 none"
  row "$sec" "Linux→tapstack, 1 stream" higher 1
  row "$sec" "Linux→tapstack, 1 stream: CPU s/GB" lower 2
  measure "iperf_run $NT 10.0.0.2 tap -R" "iperf_run $NA 10.1.0.2 none -R"
  row "$sec" "tapstack→Linux, 1 stream" higher 1
  row "$sec" "tapstack→Linux, 1 stream: CPU s/GB" lower 2
  measure "iperf_run $NT 10.0.0.2 tap -P 4" "iperf_run $NA 10.1.0.2 none -P 4"
  row "$sec" "Linux→tapstack, 4 streams" higher 1
  measure "iperf_run $NT 10.0.0.2 tap -R -P 4" "iperf_run $NA 10.1.0.2 none -R -P 4"
  row "$sec" "tapstack→Linux, 4 streams" higher 1

  # allocation per frame moved, from the host's own counters: the difference between a 1 s and a
  # longer transfer, so per-connection set-up (rings, iperf3's JSON) cancels out; exact byte
  # counter (the JVM's per-thread allocation count), frames as they crossed the TAP (large with
  # offloads), no clamping: a negative figure is reported as it is
  for dir in "" "-R"; do
    for t in 1 $((SECS + 1)); do
      a0=$(stat_value loop allocated_bytes); f0=$(( $(stat_value link rx_frames) + $(stat_value link tx_frames) ))
      SECS_SAVED=$SECS; SECS=$t; iperf_run "$NT" 10.0.0.2 tap $dir >/dev/null; SECS=$SECS_SAVED
      a1=$(stat_value loop allocated_bytes); f1=$(( $(stat_value link rx_frames) + $(stat_value link tx_frames) ))
      echo "$((a1 - a0)) $((f1 - f0))"
    done | paste -sd' ' | awk -v off="$off" -v dir="${dir:-fwd}" '{print off, dir, $3 - $1, $4 - $2}' >> "$WORK/alloc"
  done

  if [ "$off" = csum,tso,lro ]; then
    header "Latency" "the kernel over a veth: ping, and 1-byte TCP round trips against socat's echo" "see cell" \
      "a C echo spinning on its own TAP on CPU 0 (scripts/lib/tap_echo.c: what any stack behind a TAP gets at best)"
    ip netns exec "$NT" taskset -c 1 ping -n -q -c 500 -i 0.001 10.0.0.2 >/dev/null 2>&1 || true # the JIT's warm-up
    for iv in 0.001 0.005 0.2; do
      n=$([ "$iv" = 0.2 ] && echo $((SECS * 5)) || echo 200)
      measure "ping_run $NT 10.0.0.2 $iv $n" "ping_run $NA 10.1.0.2 $iv $n" "echo_ping_run $iv $n"
      row latency "ping RTT avg, ms, $(awk -v i="$iv" 'BEGIN {print i * 1000}') ms apart" lower 1
    done
    : > "$WORK/l.raw"
    measure "rr_run $NT 10.0.0.2 7" "rr_run $NA 10.1.0.2 7"
    row latency "1-byte TCP round trips/s" higher 1
    header "HTTP (wrk -t1 -c50, 14-byte file)" "Netty 4.2 epoll, 1 I/O thread, over the veth" "requests/s; p50 and p99 in ms"
    ip netns exec "$NT" timeout 20 wrk -t1 -c50 -d2s http://10.0.0.2/hello.txt >/dev/null 2>&1 || true
    ip netns exec "$NA" timeout 20 wrk -t1 -c50 -d2s http://10.1.0.2/hello.txt >/dev/null 2>&1 || true
    measure "wrk_run $NT http://10.0.0.2/hello.txt" "wrk_run $NA http://10.1.0.2/hello.txt"
    row http "requests/s" higher 1
    row http "p50 latency, ms" lower 2
    row http "p99 latency, ms" lower 3
    # idle: the host with no traffic for a while, after the spin windows have passed
    # (CPU of all the JVM's threads in ns from schedstat: /proc/PID/stat counts 10 ms ticks, 0.2 % in 5 s)
    sleep 1; i0=$(cpu_ns "$HOST_PID"); sleep 5; i1=$(cpu_ns "$HOST_PID")
    IDLE_CPU=$(awk -v t=$((i1 - i0)) 'BEGIN {printf "%.3f", 100 * t / 5e9}')
  fi
  stop_host
done

{
  echo
  echo "**Allocation on the loop thread per frame moved** (extra bytes allocated / extra frames that crossed the TAP between a 1 s and a $((SECS + 1)) s iperf3 run; exact byte counter, no clamping)"
  echo
  echo "| offload | direction | extra bytes allocated | extra frames | bytes per frame |"
  echo "|---|---|---|---|---|"
  while read -r off dir a f; do
    echo "| $off | $([ "$dir" = fwd ] && echo "Linux→tapstack" || echo "tapstack→Linux") | $a | $f | $(awk -v a="$a" -v f="$f" 'BEGIN { if (f > 0) printf "%.3f", a / f; else print "n/a" }') |"
  done < "$WORK/alloc"
  echo
  echo "Idle host (no traffic for 5 s, the default idle policy): ${IDLE_CPU:-n/a} % of one CPU (all the JVM's threads, from /proc/PID/task/*/schedstat)."
} >> "$TABLES"

HEAD="$WORK/head.md"
{
  echo "Machine: $(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r), $(java -version 2>&1 | head -1)."
  echo "Command: \`scripts/bench.sh --runs $RUNS --seconds $SECS\` on $(date -u +%Y-%m-%d). Each cell: median [min–max] of $RUNS runs per side, tapstack and baseline runs interleaved; server side on CPU 0, load generator on CPU 1; a ratio is printed only when every run of both sides passed its cross-checks."
} > "$HEAD"
cat "$HEAD" "$TABLES" > "$WORK/all.md"
echo
cat "$WORK/all.md"

if [ "$RECORD" = 1 ]; then
  mkdir -p docs/bench
  /usr/bin/python3 scripts/lib/bench_charts.py "$CSV" docs/bench
  /usr/bin/python3 - "$WORK/all.md" docs/performance.md <<'PY'
import sys, re
table = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read()
charts = "\nCharts (median, bars from min to max): ![throughput](bench/throughput.svg) ![CPU per GB](bench/cpu.svg) ![latency](bench/latency.svg) ![http](bench/http.svg)\n"
block = "<!-- bench:start -->\n" + table + charts + "<!-- bench:end -->"
if "<!-- bench:start -->" in doc:
    doc = re.sub(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda m: block, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
  echo "bench: recorded in docs/performance.md and docs/bench/*.svg"
fi
