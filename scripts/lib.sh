# Shared helpers for setup/test/up scripts. Sourced, never run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SLUICE_CACHE="${SLUICE_CACHE:-$HOME/.cache/sluice}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export PATH="$SLUICE_CACHE/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:$PATH"
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
