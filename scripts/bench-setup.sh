#!/usr/bin/env bash
# The anchors benchmarks compare against (Debian packages, installed only when missing):
# spandsp's DTMF receiver for bench-dtmf, rtpengine (userspace relay) for bench-bridge.
# rtpengine-daemon's package enables a service; we only run the binary in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/debs.sh
had_rtpengine=$(dpkg-query -W -f='${Status}' rtpengine-daemon 2>/dev/null | grep -c 'install ok installed' || true)
ensure_debs bench-setup libspandsp2 rtpengine-daemon
# Don't leave a relay running on a developer's machine.
if [ "$had_rtpengine" = 0 ] && command -v systemctl >/dev/null && systemctl is-active -q rtpengine-daemon 2>/dev/null; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd systemctl disable --now rtpengine-daemon || true
fi
