#!/usr/bin/env bash
# Installs the system tools the benchmark drives, from Debian's archive: nginx (upstream and
# reverse-proxy contender), wrk (load generator at saturation) and h2load from nghttp2-client
# (open-loop client at a fixed rate). Idempotent: installs only what is missing,
# so a second run costs a dpkg query. Never relies on what the machine happened to have.
set -euo pipefail
PACKAGES=(nginx wrk nghttp2-client util-linux)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
$SUDO apt-get update -qq
# The Debian nginx package starts a system service on install where an init system runs; the
# bench starts its own nginx processes with their own config, so that service is not used.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
