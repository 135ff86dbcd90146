#!/usr/bin/env bash
# Official NATS client suites (test/clients): Go modules + a compiled test binary, a Python venv
# with nats-py and pytest, and Maven dependencies for jnats, so the suites run offline and fast.
# Idempotent: each part is skipped when it is already up to date.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT/test/clients"

step "clients: Go (nats.go)"
(
  cd go
  GOFLAGS=-mod=readonly go mod download
  # Compile (and link) the test binary without running it: warms the build cache for `go test`.
  GOFLAGS=-mod=readonly go test -count=1 -run '^$' ./... >/dev/null
)

step "clients: Python (nats-py)"
VENV="${SLUICE_CLIENTS_VENV:-$SLUICE_CACHE/clients-venv}"
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum python/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r python/requirements.txt
  echo "$WANT" >"$STAMP"
fi

step "clients: Java (jnats)"
(
  cd java
  # Resolve everything a test run needs. Surefire fetches its JUnit provider only when tests
  # really execute, so run the broker-free helper tests; offline first, so a warm cache is quick.
  resolve=(-B -q test -Dtest=SuiteHelpersTest)
  if ! mvn -o "${resolve[@]}" >/dev/null 2>&1; then
    mvn -B -q dependency:go-offline
    mvn "${resolve[@]}"
  fi
)
