#!/usr/bin/env bash
# Helm (a Go module) for the chart tests (`helm lint`, `helm template`) and the operator e2e
# (`helm install` into localkube). Built once into $SLUICE_CACHE/bin; rebuilt only when missing.
source "$(dirname "$0")/../lib.sh"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
# go install leaves no version ldflags, so helm reports only vMAJOR.MINOR.
if [ -x "$SLUICE_CACHE/bin/helm" ] && "$SLUICE_CACHE/bin/helm" version --short 2>/dev/null | grep -q "^${HELM_VERSION%.*}"; then
  exit 0
fi
mkdir -p "$SLUICE_CACHE/bin"
echo "building helm ${HELM_VERSION} (go install; a few minutes the first time)"
GOBIN="$SLUICE_CACHE/bin" nice go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
"$SLUICE_CACHE/bin/helm" version --short
