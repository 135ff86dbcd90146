#!/usr/bin/env bash
# `npm run up` hook (after localkube is running): install the CRD and the operator with Helm,
# create a 3-replica MessageQueue "demo" in namespace default, wait until it is Ready (showing
# progress), then print how to connect. Env from scripts/up.sh: KUBECONFIG, KUBECTL,
# LOCALKUBE_NETWORK (loopback mode: no cluster DNS, so the in-cluster URL is only for netns mode).
# Tunables: SLUICE_MQ_NAME (demo), SLUICE_MQ_NAMESPACE (default), SLUICE_MQ_REPLICAS (3),
# SLUICE_UP_TIMEOUT_S (600).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
bash scripts/setup.d/40-helm.sh
HELM="$SLUICE_CACHE/bin/helm"
MQ="${SLUICE_MQ_NAME:-demo}"
NS="${SLUICE_MQ_NAMESPACE:-default}"
REPLICAS="${SLUICE_MQ_REPLICAS:-3}"
TIMEOUT_S="${SLUICE_UP_TIMEOUT_S:-600}"
k() { "$KUBECTL" "$@"; }

step "operator: helm upgrade --install sluice charts/sluice (namespace sluice-system)"
"$HELM" upgrade --install sluice charts/sluice --namespace sluice-system --create-namespace --kubeconfig "$KUBECONFIG"
k -n sluice-system rollout status deployment/sluice-operator --timeout="${TIMEOUT_S}s"

step "MessageQueue $NS/$MQ ($REPLICAS brokers)"
k apply -f - <<YAML
apiVersion: sluice.dev/v1alpha1
kind: MessageQueue
metadata:
  name: $MQ
  namespace: $NS
spec:
  replicas: $REPLICAS
  storage:
    size: 256Mi
YAML

deadline=$(( $(date +%s) + TIMEOUT_S ))
last=""
while :; do
  ready="$(k get mq "$MQ" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
  line="$(k get mq "$MQ" -n "$NS" -o jsonpath='{.status.readyReplicas}/{.spec.replicas} ready; {.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}' 2>/dev/null || true)"
  case "$line" in /*) line="waiting for the operator's first status";; esac
  if [ "$line" != "$last" ]; then echo "  $MQ: $line"; last="$line"; fi
  [ "$ready" = "True" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "MessageQueue $MQ not Ready after ${TIMEOUT_S}s" >&2
    k get mq,pods -n "$NS" -o wide >&2 || true
    k logs -n sluice-system deployment/sluice-operator --tail=50 >&2 || true
    exit 1
  fi
  sleep 2
done

secret="$(k get mq "$MQ" -n "$NS" -o jsonpath='{.status.secretName}')"
user="$(k get secret "$secret" -n "$NS" -o jsonpath='{.data.username}' | base64 -d)"
pass="$(k get secret "$secret" -n "$NS" -o jsonpath='{.data.password}' | base64 -d)"
incluster="$(k get mq "$MQ" -n "$NS" -o jsonpath='{.status.endpoints.client}')"
podip="$(k get pod "$MQ-0" -n "$NS" -o jsonpath='{.status.podIP}')"
degraded="$(k get mq "$MQ" -n "$NS" -o jsonpath='{.status.conditions[?(@.type=="Degraded")].message}')"
nats_cli="nats"; command -v nats >/dev/null 2>&1 || nats_cli="$SLUICE_CACHE/bin/nats"
echo
echo "MessageQueue $NS/$MQ is Ready."
[ -n "$degraded" ] && echo "  note: $degraded"
if [ "${LOCALKUBE_NETWORK:-netns}" = loopback ]; then
  echo "  client URL (in cluster):   $incluster (needs cluster DNS: netns mode, as root; in loopback mode use the pod IPs)"
else
  echo "  client URL (in cluster):   $incluster"
fi
echo "  client URL (this machine): nats://$podip:4222"
echo "  user:                      $user"
echo "  password:                  $pass"
echo "  credentials Secret:        $NS/$secret (keys url, username, password)"
echo
echo "Try it:"
echo "  $nats_cli --server nats://$podip:4222 --user $user --password '$pass' pub x hi"
echo "  $nats_cli --server nats://$podip:4222 --user $user --password '$pass' stream ls"
