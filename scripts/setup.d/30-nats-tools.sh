#!/usr/bin/env bash
# nats-server (reference for the config differential tests and benches) and the `nats` CLI
# (its compatibility test and `nats bench`), built with `go install` into $SLUICE_CACHE/bin
# only when missing. Versions are pinned in one place: bench/lib/tools.ts.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
node --input-type=module -e '
const { ensureTools } = await import("./dist/bench/lib/tools.js");
const v = ensureTools();
console.log(`nats tools: ${v.natsServer}, nats ${v.natscli}`);
'
