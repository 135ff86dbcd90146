#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (from k8s.io/kubernetes)
# and etcd (from go.etcd.io/etcd/server/v3) into $LOCALKUBE_BIN_DIR, only the ones missing.
# Wrapper modules: kube/ and etcd/ (separate so MVS never mixes etcd's and kube's deps).
# Usage: build.sh [--force]. Progress goes to stdout; the Go output to $LOCALKUBE_BIN_DIR/../build.log.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0
SLUICE_CACHE="${SLUICE_CACHE:-$HOME/.cache/sluice}"
LOCALKUBE_HOME="${LOCALKUBE_HOME:-$SLUICE_CACHE/localkube/$KUBE_VERSION}"
BIN="${LOCALKUBE_BIN_DIR:-$LOCALKUBE_HOME/bin}"
LOG="$LOCALKUBE_HOME/build.log"
mkdir -p "$BIN"
force=0; [ "${1:-}" = "--force" ] && force=1

missing=()
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd; do
  if [ "$force" = 1 ] || [ ! -x "$BIN/$b" ]; then missing+=("$b"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "localkube: binaries $KUBE_VERSION present in $BIN"
  exit 0
fi
command -v go >/dev/null || { echo "localkube: go not found (need Go >= 1.24 for $KUBE_VERSION)" >&2; exit 1; }

# Progress: a background ticker prints elapsed time and the package go is compiling (from -x log).
start=$(date +%s)
: > "$LOG"
ticker() {
  while sleep 15; do
    local cur
    cur=$(grep -o 'compile -o [^ ]* -trimpath [^ ]* -p [^ ]*' "$LOG" 2>/dev/null | tail -1 | sed 's/.* -p //')
    n=$(grep -c '/compile -o' "$LOG" 2>/dev/null || true)
    printf 'localkube: building %s ... %ds, %s packages compiled, now %s\n' "$1" $(( $(date +%s) - start )) "${n:-0}" "${cur:-downloading}"
  done
}

build_in() { # dir, target name, package...
  local dir="$1" what="$2"; shift 2
  echo "localkube: building $what (log: $LOG; first build takes 15-30 min on 2 cores)"
  ticker "$what" & local tp=$!
  local rc=0
  (cd "$HERE/$dir" && nice -n 10 go build -x -trimpath "$@" ) >>"$LOG" 2>&1 || rc=$?
  kill "$tp" 2>/dev/null || true; wait "$tp" 2>/dev/null || true
  if [ "$rc" != 0 ]; then echo "localkube: build of $what failed (exit $rc); last lines of $LOG:" >&2; grep -v '^\(mkdir\|cd\|cat\|EOF\|packagefile\|#\|/\)' "$LOG" | tail -30 >&2; exit "$rc"; fi
}

kube=()
for b in "${missing[@]}"; do [ "$b" != etcd ] && kube+=("k8s.io/kubernetes/cmd/$b"); done
if [ "${#kube[@]}" -gt 0 ]; then
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  X=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    X="$X -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    X="$X -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  build_in kube "${kube[*]##*/}" -tags selinux,notest -ldflags "-s -w $X" -o "$BIN/" "${kube[@]}"
fi
if [[ " ${missing[*]} " == *" etcd "* ]]; then
  build_in etcd etcd -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
fi
echo "localkube: built ${missing[*]} in $(( $(date +%s) - start ))s into $BIN"
