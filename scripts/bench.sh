#!/usr/bin/env bash
# `npm run bench -- core|js|store|all [flags]`: benchmarks (not tests). Builds the TypeScript,
# builds nats-server and natscli into $SLUICE_CACHE/bin when missing, runs, writes bench/results/.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
which="${1:-all}"
[ "$#" -gt 0 ] && shift
step "build TypeScript"
npx tsc -p tsconfig.json || echo "warning: tsc reported errors; running the emitted JavaScript anyway" >&2
run() { step "bench: $1"; node --enable-source-maps "dist/bench/$1.js" "${@:2}"; }
case "$which" in
  core | js | store) run "$which" "$@" ;;
  all) # each bench with its default flags
    run core
    run js
    if [ -f dist/bench/store.js ]; then run store; else echo "bench/store.ts not built yet; skipping store" >&2; fi
    ;;
  *) echo "usage: npm run bench -- core|js|store|all [flags]" >&2; exit 2 ;;
esac
