#!/usr/bin/env bash
# Idempotent setup: node modules, TypeScript build, then every scripts/setup.d/*.sh in order
# (official NATS clients, nats-server for benches, localkube binaries). Safe to re-run.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi
step "build TypeScript"
npx tsc -p tsconfig.json
for s in scripts/setup.d/*.sh; do
  [ -e "$s" ] || continue
  step "setup: $(basename "$s")"
  bash "$s"
done
