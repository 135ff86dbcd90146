#!/usr/bin/env bash
# localkube binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd),
# built from Go modules into $SLUICE_CACHE/localkube/<version>/bin only when missing.
# Set LOCALKUBE_SKIP_BUILD=1 to skip (the e2e suites then need LOCALKUBE_SKIP=1 to skip too);
# E2E_KIND=1 skips it as well (the e2e suites then run on kind, with kubectl from PATH).
source "$(dirname "$0")/../lib.sh"
if [ "${E2E_KIND:-0}" = 1 ]; then echo "localkube: build skipped (E2E_KIND=1: the e2e suites run on kind)"; exit 0; fi
if [ "${LOCALKUBE_SKIP_BUILD:-0}" = 1 ]; then echo "localkube: build skipped (LOCALKUBE_SKIP_BUILD=1)"; exit 0; fi
exec bash "$ROOT/localkube/build/build.sh"
