#!/usr/bin/env bash
# Installs the system packages the test suites need, from Debian's archive. Suites that need
# PostgreSQL, Redis, NATS or Chromium add their packages here, so `.ci/run`, `npm test` (its
# pretest) and a developer's machine install them the same way. A no-op when all are present.
set -euo pipefail
# redis-server: the gateway's shared rate limits (test/rate-limit.test.ts).
# openssl: a throw-away certificate for the https test of the internal HTTP client.
# nats-server: the bus's NATS JetStream adapter and its contract suite (test/bus-*.test.ts).
# chromium: the console's browser tests, driven by playwright-core (test/console-*.test.ts).
# fonts-wqy-microhei: a CJK font, so the console's Chinese screenshots show text, not boxes.
PACKAGES=(redis-server openssl nats-server chromium fonts-wqy-microhei)
# kubectl: `kubectl kustomize` renders deploy/kubernetes for test/deploy-manifests.test.ts. Debian's
# package is kubernetes-client; it owns /usr/bin/kubectl as another vendor's `kubectl` package does,
# so it is added only when no kubectl is there (the overlays read with either).
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)
if ((${#PACKAGES[@]} == 0)); then exit 0; fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
