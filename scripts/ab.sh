#!/usr/bin/env bash
# Before/after comparison of two tapstack builds on this machine, in one run: iperf3 in both
# directions, with and without offloads, runs of A and B interleaved (A B A B ...), host
# pinned to CPU 0 and iperf3 to CPU 1 for both, medians with min-max and the ratio B/A.
# Optionally one JMH benchmark from each build's classpath, also interleaved. Needs root.
#
#   scripts/ab.sh --a OLD.jar --b NEW.jar [--runs N] [--seconds S] [--ipv6] [--offloads "none csum,tso,lro"]
#                 [--jmh-a CLASSPATH --jmh-b CLASSPATH --jmh REGEX]
#
# Each jar must be a tapstack CLI jar (`java -jar X run ...`); JAR:FLAGS passes FLAGS to its `run`
# (the same build with two settings: --a "X.jar:--idle sleep" --b X.jar). Everything runs in one network
# namespace this script creates and removes (kernel side 10.0.0.1, tapstack 10.0.0.2; with
# --ipv6 iperf3 runs over IPv6 instead: kernel fd00::1, tapstack fd00::2).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

RUNS=5
SECS=3
A="" B="" JA="" JB="" JMH="" IPV6=0
OFFLOADS="none csum,tso,lro"
while [ $# -gt 0 ]; do
  case "$1" in
    --a) A=$2; shift 2 ;;
    --b) B=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --jmh-a) JA=$2; shift 2 ;;
    --jmh-b) JB=$2; shift 2 ;;
    --jmh) JMH=$2; shift 2 ;;
    --ipv6) IPV6=1; shift ;;
    --offloads) OFFLOADS=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "ab: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$A" ] && [ -n "$B" ] || { echo "ab: --a and --b are required (see --help)" >&2; exit 2; }
[ -f "${A%%:*}" ] || { echo "ab: no such jar: ${A%%:*}" >&2; exit 2; }
[ -f "${B%%:*}" ] || { echo "ab: no such jar: ${B%%:*}" >&2; exit 2; }
case "$RUNS" in ''|*[!0-9]*) echo "ab: --runs needs a number" >&2; exit 2 ;; esac
case "$SECS" in ''|*[!0-9]*) echo "ab: --seconds needs a whole number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || { echo "ab: --runs must be 1..20" >&2; exit 2; }
[ "$SECS" -ge 1 ] && [ "$SECS" -le 30 ] || { echo "ab: --seconds must be 1..30" >&2; exit 2; }
for off in $OFFLOADS; do
  case "$off" in none|csum|csum,tso|csum,tso,lro) ;; *) echo "ab: --offloads takes none, csum, csum,tso, csum,tso,lro (space-separated), not '$off'" >&2; exit 2 ;; esac
done
[ -n "$OFFLOADS" ] || { echo "ab: --offloads needs at least one setting" >&2; exit 2; }
if [ -n "$JMH" ] && { [ -z "$JA" ] || [ -z "$JB" ]; }; then echo "ab: --jmh needs --jmh-a and --jmh-b" >&2; exit 2; fi
if [ "$(id -u)" -ne 0 ]; then echo "ab: needs root" >&2; exit 1; fi
command -v iperf3 >/dev/null || { echo "ab: iperf3 missing (scripts/install-deps.sh)" >&2; exit 1; }

NS="tsab-$$"
WORK="$(mktemp -d)"
HOST_PID=""
cleanup() {
  ns_cleanup "$NS" "$HOST_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
ns_create "$NS" tap0 10.0.0.1/24
DST=10.0.0.2
HOST_ADDRS=(--ipv4 10.0.0.2/24 --no-ipv6)
if [ "$IPV6" = 1 ]; then
  ip -n "$NS" addr add fd00::1/64 dev tap0 nodad
  DST=fd00::2
  HOST_ADDRS=(--ipv4 10.0.0.2/24 --ipv6 fd00::2/64)
fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
spread() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }

start_host() { # JAR[:RUN-FLAGS] OFFLOAD
  local jar=${1%%:*} flags=""
  [ "$jar" != "$1" ] && flags=${1#*:}
  # shellcheck disable=SC2086 # the flags are words
  ip netns exec "$NS" taskset -c 0 java -Xms1g -Xmx1g -jar "$jar" run --tap tap0 "${HOST_ADDRS[@]}" \
      --offload "$2" --services iperf3 --quiet $flags >"$WORK/host.log" 2>&1 &
  HOST_PID=$!
  wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }
  if [ "$IPV6" = 1 ]; then # the address is usable once DAD has passed (RFC 4862 §5.4): up to 30 s
    for _ in $(seq 1 30); do ip netns exec "$NS" ping -6 -c 1 -W 1 "$DST" >/dev/null 2>&1 && break; done
  fi
  ip netns exec "$NS" timeout 20 iperf3 -c "$DST" -t 1 >/dev/null 2>&1 || true # JIT warm-up
  ip netns exec "$NS" timeout 20 iperf3 -c "$DST" -t 1 -R >/dev/null 2>&1 || true
}
stop_host() {
  if [ -n "$HOST_PID" ]; then kill -TERM "$HOST_PID"; wait "$HOST_PID" 2>/dev/null || true; HOST_PID=""; fi
}
# Gbit/s seen by the receiver; the sender's byte count must agree within 1 %, else the run is void
iperf() { # EXTRA-ARGS...
  local j
  j=$(ip netns exec "$NS" taskset -c 1 timeout $((SECS + 30)) iperf3 -c "$DST" -t "$SECS" -J "$@" 2>/dev/null) || { echo nan; return; }
  printf '%s' "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)["end"]
s, r = d["sum_sent"]["bytes"], d["sum_received"]["bytes"]
ok = s > 0 and abs(s - r) <= 0.01 * s
print("%.3f" % (d["sum_received"]["bits_per_second"] / 1e9) if ok else "nan")'
}

echo "ab: A=$A B=$B runs=$RUNS seconds=$SECS to $DST (interleaved A,B per round; host CPU 0, iperf3 CPU 1)"
printf '| %-28s | %-22s | %-22s | %-6s |\n' "case" "A median (min-max)" "B median (min-max)" "B/A"
printf '|%s|%s|%s|%s|\n' "------------------------------" "------------------------" "------------------------" "--------"
for off in $OFFLOADS; do
  for dir in "Linux→tapstack" "tapstack→Linux"; do
    flag=""; [ "$dir" = "tapstack→Linux" ] && flag="-R"
    : >"$WORK/a"; : >"$WORK/b"
    for _ in $(seq 1 "$RUNS"); do
      for side in a b; do
        jar=$A; [ "$side" = b ] && jar=$B
        start_host "$jar" "$off"
        iperf $flag >>"$WORK/$side"
        stop_host
      done
    done
    # (grep exits 1 when every run of a side was void; that side's median is then nan, not a failure)
    ma=$({ grep -v nan "$WORK/a" || true; } | median); mb=$({ grep -v nan "$WORK/b" || true; } | median)
    sa=$({ grep -v nan "$WORK/a" || true; } | spread); sb=$({ grep -v nan "$WORK/b" || true; } | spread)
    void=$(cat "$WORK/a" "$WORK/b" | grep -c nan || true)
    ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN{ if (a+0>0) printf "%.2f", b/a; else print "nan"}')
    printf '| %-28s | %-22s | %-22s | %-6s |%s\n' "iperf3 $dir off=$off" "$ma ($sa) Gbit/s" "$mb ($sb) Gbit/s" "$ratio" \
        "$([ "$void" -gt 0 ] && echo " ($void void runs)")"
  done
done

if [ -n "$JMH" ]; then
  : >"$WORK/ja"; : >"$WORK/jb"
  for _ in $(seq 1 "$RUNS"); do
    for side in a b; do
      cp=$JA; [ "$side" = b ] && cp=$JB
      taskset -c 0 java -cp "$cp" org.openjdk.jmh.Main "$JMH" -f 1 -wi 2 -w 1s -i 3 -r 1s -rf csv -rff "$WORK/j.csv" >/dev/null 2>&1 || true
      # the first benchmark method's score (in the benchmark's own unit)
      awk -F, 'NR==2 {gsub(/"/,"",$5); print $5}' "$WORK/j.csv" >>"$WORK/j$side"
    done
  done
  ma=$(median <"$WORK/ja"); mb=$(median <"$WORK/jb")
  ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN{ if (a+0>0) printf "%.2f", b/a; else print "nan"}')
  printf '| %-28s | %-22s | %-22s | %-6s |\n' "JMH $JMH ($(awk -F, 'NR==2 {gsub(/"/,"",$7); print $7}' "$WORK/j.csv"))" "$ma ($(spread <"$WORK/ja"))" "$mb ($(spread <"$WORK/jb"))" "$ratio"
fi
