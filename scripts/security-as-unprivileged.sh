#!/usr/bin/env bash
# Runs the escape battery as an unprivileged user (several holes only show without root
# and without a delegated cgroup). Run as root: makes the user if it is missing, gives it
# its own copy of the checkout (node_modules linked read-only), makes the battery's outside
# host (needs root) and runs `npm run test:security` as that user; extra arguments go to
# the battery (`--report --json` prints the report as the user sees it).
#   scripts/security-as-unprivileged.sh [--report [--json]]     CLSEC_USER=name to pick the user
set -euo pipefail
root_dir="$(cd "$(dirname "$0")/.." && pwd)"
user="${CLSEC_USER:-clbattery}"
if [ "$(id -u)" -ne 0 ]; then
  echo "security-as-unprivileged: run me as root (I create the user and the outside host)" >&2
  exit 2
fi
id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home="$(getent passwd "$user" | cut -d: -f6)"

work="$(mktemp -d /tmp/closedloop-unprivileged-XXXXXX)"
outside_pid=""
cleanup() {
  [ -n "$outside_pid" ] && kill "$outside_pid" 2>/dev/null && wait "$outside_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The user's own copy: sources, compiled helpers (build/) and payload fixtures; node_modules
# is only read, so it is linked (every path up to it must be traversable by the user).
mkdir "$work/checkout"
tar -C "$root_dir" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$work/checkout" -xf -
ln -s "$root_dir/node_modules" "$work/checkout/node_modules"
chown -R "$user:" "$work/checkout"
chmod 755 "$work"

# The outside host lives in a network namespace only root can make; the user attaches to it.
coproc OUTSIDE { exec node --import tsx "$root_dir/test/security/outside-host.ts" "$work/outside.log"; }
outside_pid="$OUTSIDE_PID"
read -r -t 20 outside <&"${OUTSIDE[0]}" || { echo "security-as-unprivileged: the outside host did not start" >&2; exit 1; }

cd "$work/checkout"
runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$user" LOGNAME="$user" \
  TMPDIR=/tmp CLSEC_OUTSIDE="$outside" npm run -s test:security -- "$@"
