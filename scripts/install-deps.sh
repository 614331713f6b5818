#!/usr/bin/env bash
# Installs what tapstack needs to build, run its demo and run its tests on Debian/Ubuntu.
# Idempotent: installs only what is missing. Needs root (or sudo) when something is missing.
set -euo pipefail

PKGS=(
  openjdk-17-jdk-headless maven
  iproute2 iputils-ping arping tcpdump tshark libpcap0.8
  iperf3 curl nghttp2-client socat nftables netcat-openbsd ndisc6 radvd wrk traceroute iputils-tracepath
  python3 python3-scapy procps ethtool dnsmasq-base
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A JDK 17+ and Maven from elsewhere (e.g. a preinstalled toolchain) are fine too.
if command -v javac >/dev/null 2>&1 && javac -version 2>&1 | grep -Eq 'javac (1[7-9]|[2-9][0-9])'; then
  missing=("${missing[@]/openjdk-17-jdk-headless}")
fi
if command -v mvn >/dev/null 2>&1; then
  missing=("${missing[@]/maven}")
fi
read -r -a missing <<< "${missing[*]:-}"

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all packages present"
fi
