#!/usr/bin/env bash
# `npm test`: set up everything the tests need, then lint, typecheck (the build) and all suites.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
step "lint"
npx eslint .
step "tests"
npx vitest run "$@"
