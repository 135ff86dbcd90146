#!/usr/bin/env bash
# `npm run down`: stop the cluster started by `npm run up` and remove its state.
# `npm run down -- --keep` keeps logs/etcd/volumes; `npm run down -- --all` stops every cluster.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
exec bin/sluice localkube down --name "${LOCALKUBE_NAME:-default}" "$@"
