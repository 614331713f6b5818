#!/usr/bin/env bash
# Installs the tapstack extcap launcher so that Wireshark and tshark list every running tapstack
# host as a capture interface ("tapstack-TAP"), with the capture filter compiled by tapstack.
#
#   scripts/install-extcap.sh [--dir DIR] [--jar JAR] [--java JAVA] [--control-dir DIR]...
#
# --dir          extcap folder (default: Wireshark's personal extcap folder, see below)
# --jar          tapstack.jar (default: tools/target/tapstack.jar next to this script)
# --java         java to run it with (default: the one on PATH, resolved now: Wireshark's PATH may differ)
# --control-dir  also list hosts whose control sockets are there (default: /run/tapstack only)
#
# Wireshark 4.2 and later read a personal extcap folder (~/.local/lib/wireshark/extcap, shown as
# "Personal Extcap path" by 'tshark -G folders'); that is the default. Wireshark 4.0 reads only
# its global folder ("Extcap path"): install there as root with --dir "$(tshark -G folders |
# sed -n 's/^Extcap path:\s*//p')". The launcher is one file, 'tapstack-extcap'; remove it to uninstall.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir="" jar="$here/../tools/target/tapstack.jar" java="" ctl=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --java) java=$2; shift 2 ;;
    --control-dir) ctl+=(--control-dir "$(cd "$2" && pwd)"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-extcap.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

[ -f "$jar" ] || { echo "install-extcap.sh: no tapstack.jar at $jar (build with mvn package, or give --jar)" >&2; exit 1; }
jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
if [ -z "$java" ]; then
  java=$(command -v java) || { echo "install-extcap.sh: no java on PATH (give --java)" >&2; exit 1; }
fi

folders=""
if command -v tshark >/dev/null; then folders=$(tshark -G folders 2>/dev/null || true); fi
if [ -z "$dir" ]; then
  dir=$(printf '%s\n' "$folders" | sed -n 's/^Personal Extcap path:[[:space:]]*//p')
  if [ -z "$dir" ]; then
    dir="$HOME/.local/lib/wireshark/extcap"
    global=$(printf '%s\n' "$folders" | sed -n 's/^Extcap path:[[:space:]]*//p')
    echo "install-extcap.sh: this Wireshark shows no personal extcap folder (it is older than 4.2);" >&2
    echo "  installing in $dir, which Wireshark 4.2+ reads; for this one use --dir ${global:-<its Extcap path>} (as root)" >&2
  fi
fi

mkdir -p "$dir"
launcher="$dir/tapstack-extcap"
{
  echo '#!/bin/sh'
  echo '# tapstack extcap launcher, written by scripts/install-extcap.sh'
  printf 'exec %q -jar %q extcap' "$java" "$jar"
  for a in "${ctl[@]+"${ctl[@]}"}"; do printf ' %q' "$a"; done
  echo ' "$@"'
} > "$launcher.tmp"
chmod 755 "$launcher.tmp"
mv "$launcher.tmp" "$launcher"
echo "installed $launcher"
