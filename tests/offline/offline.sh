#!/bin/sh
# Run a command with the network unavailable: a new network namespace holding only loopback.
# Usage: sh tests/offline/offline.sh COMMAND [ARG...]
# Needs unshare(1) from util-linux and user namespaces (or root); fails loudly without them.
set -eu
if ! unshare -rn true 2>/dev/null; then
  echo "offline.sh: 'unshare -rn' is not permitted here (user namespaces disabled?)." >&2
  echo "Fix: run as root, or allow them: sysctl kernel.apparmor_restrict_unprivileged_userns=0" >&2
  exit 2
fi
exec unshare -rn sh -c 'ip link set lo up && exec "$@"' offline "$@"
