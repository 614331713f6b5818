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
HOST6=fd00::2
OUT="$(mktemp -d)"
PID=""
cleanup() {
  ns_cleanup "$NS" "$PID"
  rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

ns_create "$NS" "$TAP" 10.0.0.1/24
# nodad: the kernel side's IPv6 address is usable at once
ip -n "$NS" addr add fd00::1/64 dev "$TAP" nodad
echo "demo: namespace $NS, $TAP = 10.0.0.1/24 + fd00::1/64 (kernel side), host = $HOST/24 + $HOST6/64"
ip netns exec "$NS" java -jar tools/target/tapstack.jar run --tap "$TAP" --ipv4 "$HOST/24" --ipv6 "$HOST6/64" \
  --services echo,http --capture 'icmp or icmp6 or arp or tcp port 80' --capture-file "$OUT/demo.pcapng" \
  --control "$OUT/host.sock" >"$OUT/host.log" 2>&1 &
PID=$!
if ! wait_for_line "$OUT/host.log" "tapstack: ready" 30; then
  echo "demo: the host did not become ready:" >&2
  cat "$OUT/host.log" >&2
  exit 1
fi
grep "tapstack: ready" "$OUT/host.log"
# the host's link-local address, from its ready line (ipv6=fe80::.../64,fd00::2/64)
LL="$(grep -o 'ipv6=fe80::[0-9a-f:]*' "$OUT/host.log" | head -1 | cut -d= -f2)"
if [ -z "$LL" ]; then
  echo "demo: no link-local address in the ready line" >&2
  exit 1
fi

echo
echo "== ping -c 5 -i 0.2 $HOST"
ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 "$HOST" | tee "$OUT/ping.txt"
echo
echo "== ping -c 3 -s 4000 $HOST (fragmented both ways)"
ip netns exec "$NS" ping -c 3 -i 0.2 -s 4000 -W 2 "$HOST" | tail -2 | tee -a "$OUT/ping.txt"
echo
echo "== ping -6 -c 5 -i 0.2 $HOST6 (global)"
ip netns exec "$NS" ping -6 -c 5 -i 0.2 -W 2 "$HOST6" | tee -a "$OUT/ping.txt"
echo
echo "== ping -6 -c 5 -i 0.2 $LL%$TAP (link-local)"
ip netns exec "$NS" ping -6 -c 5 -i 0.2 -W 2 "$LL%$TAP" | tee -a "$OUT/ping.txt"
echo
echo "== ping -6 -c 3 -s 3000 $HOST6 (fragmented both ways)"
ip netns exec "$NS" ping -6 -c 3 -i 0.2 -s 3000 -W 2 "$HOST6" | tail -2 | tee -a "$OUT/ping.txt"
echo
echo "== ip neigh (the kernel learnt the host's MAC by ARP and by neighbour discovery)"
ip -n "$NS" neigh show "$HOST"
ip -n "$NS" -6 neigh show dev "$TAP"

echo
UDP_OK=1
for dst in "$HOST" "$HOST6"; do
  fam=-4; [ "$dst" = "$HOST6" ] && fam=-6
  msg="hello over udp to $dst"
  echo "== printf '$msg' | nc $fam -u -w 1 $dst 7 (echo service, UDP)"
  got="$(printf '%s\n' "$msg" | ip netns exec "$NS" timeout 5 nc "$fam" -u -w 1 "$dst" 7 || true)"
  echo "$got"
  if [ "$got" != "$msg" ]; then
    echo "demo: no UDP echo from $dst" >&2
    UDP_OK=0
  fi
done

echo
HTTP_OK=1
echo "== curl -s -i http://$HOST/ (http service, generated index page)"
ip netns exec "$NS" curl -s -m 10 -i "http://$HOST/" | head -6 | tee "$OUT/curl.txt" || true
grep -q "^HTTP/1.1 200" "$OUT/curl.txt" || HTTP_OK=0
echo
echo "== curl -6 -s -o /dev/null -w '%{http_code} %{size_download} bytes' 'http://[$HOST6]/'"
code6="$(ip netns exec "$NS" curl -6 -s -m 10 -o /dev/null -w '%{http_code} %{size_download} bytes' "http://[$HOST6]/" || true)"
echo "$code6"
case "$code6" in 200*) ;; *) HTTP_OK=0 ;; esac
echo
echo "== echo 'hello over tcp' | nc -q1 $HOST 7 (echo service, TCP)"
gotTcp="$(echo 'hello over tcp' | ip netns exec "$NS" timeout 5 nc -q1 "$HOST" 7 || true)"
echo "$gotTcp"
[ "$gotTcp" = "hello over tcp" ] || HTTP_OK=0
echo
echo "== tapstack stat --host (the running host's TCP counters, like netstat -s)"
java -jar tools/target/tapstack.jar stat --host "$OUT/host.sock" | sed -n '/^tcp:/,/^[a-z0-9]*:$/p' | head -12 || true

echo
echo "== stopping the host (SIGTERM); its counters:"
kill -TERM "$PID"
wait "$PID" || { echo "demo: host exited with $?" >&2; exit 1; }
PID=""
sed -n '/tapstack: stopped/,$p' "$OUT/host.log"
echo
echo "== tcpdump -n -r demo.pcapng (the host's own capture: icmp, icmp6, arp, tcp port 80), first 12 frames"
tcpdump -n -r "$OUT/demo.pcapng" 2>/dev/null | head -12 || true
CAP_FRAMES="$(tcpdump -n -r "$OUT/demo.pcapng" 2>/dev/null | wc -l)"
echo "... $CAP_FRAMES frames captured"

# every ping run must report 0% loss (5 runs: ping, ping -s 4000, ping -6 global, link-local, -s 3000)
if [ "$(grep -c " 0% packet loss" "$OUT/ping.txt")" -eq 5 ] && ! grep -Eq " [1-9][0-9]*% packet loss" "$OUT/ping.txt" \
    && [ "$UDP_OK" -eq 1 ] && [ "$HTTP_OK" -eq 1 ] && [ "$CAP_FRAMES" -gt 20 ]; then
  echo
  echo "demo: OK (0% ping loss over IPv4 and IPv6, UDP and TCP echo, curl over both, $CAP_FRAMES frames captured)"
else
  echo "demo: FAILED (ping loss, no echo, curl failed or nothing captured)" >&2
  exit 1
fi
