#!/usr/bin/env bash
# `npm test`: set up everything the tests need, then lint, typecheck (the build) and all suites.
# Ends with one plain summary line ("Tests: N passed, N failed, N skipped").
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
step "lint"
npx eslint .
step "tests"
report="$(mktemp -t sluice-vitest-XXXXXX.json)"
rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || rc=$?
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
rm -f "$report"
exit "$rc"
