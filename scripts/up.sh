#!/usr/bin/env bash
# `npm run up`: a local multi-node Kubernetes cluster (localkube) that keeps running until
# `npm run down`. Steps: node modules + TypeScript build, localkube binaries (built once, cached),
# cluster start, then every hook in scripts/up.d/*.sh (e.g. install the operator and a
# MessageQueue) with KUBECONFIG, KUBECTL and LOCALKUBE_NAME exported.
# Env: LOCALKUBE_NAME (default "default"), LOCALKUBE_NODES (3), SLUICE_CACHE, LOCALKUBE_NETWORK
# (netns | loopback; default netns as root, loopback otherwise: no root needed, see
# localkube/README.md "Network modes"), LOCALKUBE_BIN_DIR (reuse already built Kubernetes binaries).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
NAME="${LOCALKUBE_NAME:-default}"
if [ ! -d node_modules ]; then step "npm ci"; npm ci --no-audit --no-fund; fi
step "build TypeScript"
npx tsc -p tsconfig.json
step "nats CLI for the connection example (built once, cached)"
bash scripts/setup.d/30-nats-tools.sh
step "localkube binaries (first build: 15-30 min, cached afterwards)"
bash localkube/build/build.sh
step "start cluster \"$NAME\""
bin/sluice localkube up --name "$NAME" --nodes "${LOCALKUBE_NODES:-3}" ${LOCALKUBE_NETWORK:+--network "$LOCALKUBE_NETWORK"}
export LOCALKUBE_NAME="$NAME"
KUBECONFIG="$(bin/sluice localkube kubeconfig --name "$NAME")"; export KUBECONFIG
# The mode the cluster really runs in (hooks print what works in it).
LOCALKUBE_NETWORK="$(node -p 'require(process.argv[1]).network ?? "netns"' "$(dirname "$KUBECONFIG")/cluster.json")"; export LOCALKUBE_NETWORK
KUBECTL="$(source localkube/build/versions.env; echo "${LOCALKUBE_BIN_DIR:-${LOCALKUBE_HOME:-$SLUICE_CACHE/localkube/$KUBE_VERSION}/bin}/kubectl")"; export KUBECTL
for hook in scripts/up.d/*.sh; do
  [ -e "$hook" ] || continue
  step "up: $(basename "$hook")"
  bash "$hook"
done
step "ready"
"$KUBECTL" get nodes -o wide
echo
echo "export KUBECONFIG=$KUBECONFIG"
echo "$KUBECTL get pods -A"
