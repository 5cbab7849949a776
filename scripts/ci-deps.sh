#!/usr/bin/env bash
# Installs the system packages the test suites need, from Debian's archive. Nothing today: the
# foundation runs on Node alone. Suites that need PostgreSQL, Redis, NATS or Chromium add their
# packages here, so `.ci/run` and a developer's machine install them the same way.
set -euo pipefail
PACKAGES=()
if ((${#PACKAGES[@]} == 0)); then exit 0; fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
