#!/usr/bin/env bash
# The "see it work" command: installs what is needed, builds, brings the Java host up on a
# TAP inside a fresh network namespace, exercises it from Linux, prints what happened and
# removes everything it created. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (network namespaces and a TAP device)" >&2
  exit 1
fi
scripts/install-deps.sh
echo "demo: building"
mvn -B -q -ntp -DskipTests package

NS="tapstack-demo-$$"
TAP=tap0
HOST=10.0.0.2
OUT="$(mktemp -d)"
PID=""
cleanup() {
  ns_cleanup "$NS" "$PID"
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

ns_create "$NS" "$TAP" 10.0.0.1/24
echo "demo: namespace $NS, $TAP = 10.0.0.1/24 (kernel side), host = $HOST/24"
ip netns exec "$NS" java -jar tools/target/tapstack.jar run --tap "$TAP" --ipv4 "$HOST/24" >"$OUT/host.log" 2>&1 &
PID=$!
if ! wait_for_line "$OUT/host.log" "tapstack: ready" 30; then
  echo "demo: the host did not become ready:" >&2
  cat "$OUT/host.log" >&2
  exit 1
fi
grep "tapstack: ready" "$OUT/host.log"

echo
echo "== ping -c 5 -i 0.2 $HOST"
ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 "$HOST" | tee "$OUT/ping.txt"
echo
echo "== ping -c 3 -s 4000 $HOST (fragmented both ways)"
ip netns exec "$NS" ping -c 3 -i 0.2 -s 4000 -W 2 "$HOST" | tail -2 | tee -a "$OUT/ping.txt"
echo
echo "== ip neigh (the kernel learnt the host's MAC by ARP)"
ip -n "$NS" neigh show "$HOST"

echo
echo "== stopping the host (SIGTERM); its counters:"
kill -TERM "$PID"
wait "$PID" || { echo "demo: host exited with $?" >&2; exit 1; }
PID=""
sed -n '/tapstack: stopped/,$p' "$OUT/host.log"

if grep -q " 0% packet loss" "$OUT/ping.txt" && ! grep -Eq " [1-9][0-9]*% packet loss" "$OUT/ping.txt"; then
  echo
  echo "demo: OK (0% ping loss)"
else
  echo "demo: FAILED (ping loss)" >&2
  exit 1
fi
