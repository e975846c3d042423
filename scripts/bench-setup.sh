#!/usr/bin/env bash
# The anchors benchmarks compare against (Debian packages, installed only when missing):
# spandsp's DTMF receiver for bench-dtmf, rtpengine (userspace relay) for bench-bridge.
# rtpengine-daemon's package enables a service; we only run the binary in the foreground.
set -euo pipefail
debs=(libspandsp2 rtpengine-daemon)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench-setup: installing ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Don't leave a relay running on a developer's machine.
  if command -v systemctl >/dev/null && systemctl is-active -q rtpengine-daemon 2>/dev/null; then $sudo_cmd systemctl disable --now rtpengine-daemon || true; fi
fi
