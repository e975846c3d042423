#!/usr/bin/env bash
# Install Frontdesk from a built checkout (run `bash scripts/setup.sh` first) onto this machine, or
# into a staging root for packaging and tests:
#   sudo bash scripts/install.sh                 # the real system
#   DESTDIR=/tmp/stage bash scripts/install.sh   # a staging root; touches nothing outside it
# Idempotent: re-running upgrades the program files and never overwrites /etc/frontdesk/*.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/opt/frontdesk}
root=${DESTDIR%/}
staging=0; [ -n "$DESTDIR" ] && staging=1

[ -f "$src/dist/daemon/cli.js" ] || { echo "install: $src is not built; run: bash scripts/setup.sh" >&2; exit 1; }
if [ "$staging" = 0 ] && [ "$(id -u)" != 0 ]; then echo "install: run as root (or set DESTDIR for a staging root)" >&2; exit 1; fi

say() { echo "install: $*"; }

# Program files: replaced as a whole so removed files do not linger.
say "program files → $root$PREFIX"
mkdir -p "$root$PREFIX"
for d in dist config models systemd scripts; do
  rm -rf "$root$PREFIX/$d"
  cp -a "$src/$d" "$root$PREFIX/$d"
done
cp -a "$src/package.json" "$src/package-lock.json" "$src/README.md" "$root$PREFIX/"
# The staff console's pages (plain files, not compiled).
rm -rf "$root$PREFIX/daemon"
mkdir -p "$root$PREFIX/daemon/console"
cp -a "$src/daemon/console/public" "$root$PREFIX/daemon/console/public"
rm -rf "$root$PREFIX/dist/test" "$root$PREFIX/dist/.tsbuildinfo"
# Runtime dependencies only (no tap, no TypeScript).
rm -rf "$root$PREFIX/node_modules"
cp -a "$src/node_modules" "$root$PREFIX/node_modules"
(cd "$root$PREFIX" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

# Configuration: the example on first install only; secrets file readable by the service group.
mkdir -p "$root/etc/frontdesk/prompts"
if [ ! -f "$root/etc/frontdesk/frontdesk.yaml" ]; then
  say "first install: /etc/frontdesk/frontdesk.yaml from the branch-office example (edit it, then: frontdesk check-config)"
  sed "s|\$schema=./frontdesk.schema.json|\$schema=$PREFIX/config/frontdesk.schema.json|" "$src/config/branch-office.example.yaml" > "$root/etc/frontdesk/frontdesk.yaml"
else
  say "keeping existing /etc/frontdesk/frontdesk.yaml"
fi
if [ ! -f "$root/etc/frontdesk/secrets.env" ]; then
  printf '# Secrets referenced as ${NAME} in frontdesk.yaml.\nGSM1_PIN=\nPBX_PASSWORD=\nMQTT_PASSWORD=\n' > "$root/etc/frontdesk/secrets.env"
  chmod 0640 "$root/etc/frontdesk/secrets.env"
fi

# systemd unit, service account, udev rules, and the CLI on PATH.
install -D -m 0644 "$src/systemd/frontdesk.service" "$root/etc/systemd/system/frontdesk.service"
install -D -m 0644 "$src/systemd/frontdesk.sysusers" "$root/usr/lib/sysusers.d/frontdesk.conf"
install -D -m 0644 "$src/systemd/99-frontdesk-modems.rules" "$root/etc/udev/rules.d/99-frontdesk-modems.rules"
mkdir -p "$root/usr/local/bin"
ln -sfn "$PREFIX/dist/daemon/cli.js" "$root/usr/local/bin/frontdesk"
chmod 0755 "$root$PREFIX/dist/daemon/cli.js"
mkdir -p "$root/var/lib/frontdesk/models"

if [ "$staging" = 0 ]; then
  say "creating the frontdesk user, reloading systemd and udev"
  systemd-sysusers /usr/lib/sysusers.d/frontdesk.conf
  chown root:frontdesk /etc/frontdesk /etc/frontdesk/secrets.env /etc/frontdesk/frontdesk.yaml
  chown frontdesk:frontdesk /var/lib/frontdesk /var/lib/frontdesk/models
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    udevadm control --reload 2>/dev/null || true
  fi
  say "done. Next: edit /etc/frontdesk/frontdesk.yaml and secrets.env, then: systemctl enable --now frontdesk"
else
  say "staged into $root (no users created, systemd not touched)"
fi
