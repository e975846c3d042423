#!/usr/bin/env bash
# Idempotent set-up for a fresh checkout: Debian packages used as real peers by the tests and the
# demo, npm dependencies, and the TypeScript build. Installs only what is missing.
#   bash scripts/setup.sh [--quiet]
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0; [ "${1:-}" = "--quiet" ] && quiet=1
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }

# Real peers for tests and the demo: tty pairs, desk phones, PBX, broker, speech and tone synthesis,
# SIP load (sipp), line echo cancellation (speexdsp); a browser for the console tests (driven by
# playwright-core, never a downloaded build) and a CJK font.
debs=(socat baresip kamailio mosquitto mosquitto-clients espeak-ng sox openssl python3 sip-tester libspeexdsp1 chromium fonts-wqy-microhei sqlite3 e2fsprogs)
source scripts/lib/debs.sh
ensure_debs setup "${debs[@]}"

# npm dependencies: reinstall only when package-lock.json changed. Scripts are ignored at install
# time and then run only for the addons we trust (vosk-koffi's and onnxruntime-node's postinstalls
# download from the internet and fail offline; we ship what they would fetch another way).
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.frontdesk-lock
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  echo "setup: installing npm dependencies (sqlite3 builds from source: ~2 min)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  npm rebuild sqlite3 @serialport/bindings-cpp koffi --loglevel=error >/dev/null
  echo "$lockhash" > "$stamp"
fi

# libvosk: vosk-koffi loads bin-<platform>-<arch>/libvosk.so beside itself; its postinstall would
# download it from the internet, so we take it from the vosk npm tarball (which carries it).
voskbin=node_modules/vosk-koffi/bin-linux-x64
if [ "$(uname -m)" = x86_64 ] && [ ! -f "$voskbin/libvosk.so" ]; then
  say "fetching libvosk from the vosk npm package"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack vosk@0.3.39 --silent --loglevel=error >/dev/null && tar xzf vosk-0.3.39.tgz package/lib/linux-x86_64)
  mkdir -p "$voskbin"
  cp "$tmp"/package/lib/linux-x86_64/libvosk.so "$voskbin/"
  rm -rf "$tmp"
fi

say "building TypeScript"
npx --no-install tsc -p tsconfig.json
say "ready"
