#!/usr/bin/env bash
# Takes the screenshot in docs/wireshark-extcap.png: Wireshark's GUI (under Xvfb) capturing live
# from a tapstack host through the extcap interface, with the capture filter 'tcp port 80' while
# curl fetches pages from the host. Needs root, wireshark-qt, xvfb and x11-apps (xwd); everything
# runs in a namespace and a private mount namespace this script creates, and goes with it.
#
#   scripts/extcap-screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh
OUT=${1:-docs/wireshark-extcap.png}
for c in wireshark Xvfb xwd tshark; do command -v "$c" >/dev/null || { echo "extcap-screenshot: needs $c (apt-get install wireshark-qt xvfb x11-apps)" >&2; exit 1; }; done
[ "$(id -u)" -eq 0 ] || { echo "extcap-screenshot: needs root" >&2; exit 1; }
[ -f tools/target/tapstack.jar ] || mvn -B -q -ntp -DskipTests package

NS="tsshot-$$" WORK=$(mktemp -d) HOST_PID="" X_PID="" WS_PID=""
cleanup() {
  for p in $WS_PID $X_PID; do kill -TERM "$p" 2>/dev/null || true; done
  ns_cleanup "$NS" "$HOST_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ns_create "$NS" tap0 10.0.0.1/24
mkdir -p "$WORK/ctl" "$WORK/ext" "$WORK/www"
for i in $(seq 1 20); do printf 'page %s\n' "$i" > "$WORK/www/p$i.html"; done
ip netns exec "$NS" java -jar tools/target/tapstack.jar run --tap tap0 --ipv4 10.0.0.2/24 --no-ipv6 \
    --services http --http-root "$WORK/www" --control "$WORK/ctl/tap0.sock" >"$WORK/host.log" 2>&1 &
HOST_PID=$!
wait_for_line "$WORK/host.log" "tapstack: ready" 30 || { cat "$WORK/host.log" >&2; exit 1; }
scripts/install-extcap.sh --dir "$WORK/ext" --control-dir "$WORK/ctl" >/dev/null 2>&1
GLOBAL=$(tshark -G folders 2>/dev/null | sed -n 's/^Extcap path:[[:space:]]*//p')

mkdir -p "$WORK/.config/wireshark"
printf 'gui.geometry_main_x: 0\ngui.geometry_main_y: 0\ngui.geometry_main_width: 1280\ngui.geometry_main_height: 800\n' \
    > "$WORK/.config/wireshark/recent"
Xvfb :77 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
X_PID=$!
sleep 2
# Wireshark 4.0 reads extcaps only from its global folder: bind ours over it, for this process only
HOME="$WORK" DISPLAY=:77 unshare -m sh -c 'mount --bind "$0" "$1" && exec wireshark -i tapstack-tap0 -k -f "tcp port 80"'  \
    "$WORK/ext" "$GLOBAL" >"$WORK/ws.log" 2>&1 &
WS_PID=$!
# Wireshark starts every extcap to list interfaces, then ours to capture: give it time
sleep 40
for i in $(seq 1 20); do
  ip netns exec "$NS" curl -s --max-time 5 -o /dev/null "http://10.0.0.2/p$i.html" || true
  ip netns exec "$NS" ping -c 1 -W 1 10.0.0.2 >/dev/null || true
done
sleep 4
xwd -root -display :77 -silent > "$WORK/shot.xwd"
/usr/bin/python3 scripts/lib/xwd2png.py "$WORK/shot.xwd" "$OUT"
echo "extcap-screenshot: wrote $OUT"
