/**
 * Pure parts of the kind backend: pinned versions, the cluster config, the images a suite needs,
 * the kind command lines and `kubectl port-forward` output parsing. Tested by value
 * (config.test.ts); kind.ts does the I/O.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { defaultVersion as brokerDefaultVersion } from "../../../operator/api/validate.js";

/** kind release, built with `go install` (like helm) into $SLUICE_CACHE/bin. */
export const KIND_VERSION = "v0.30.0";
/** That release's own Kubernetes 1.34 node image (localkube pins 1.34 too, see localkube/build/versions.env). */
export const KIND_NODE_IMAGE = "kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a";
export const KIND_NODES_MAX = 5;
export const KIND_NAME_LENGTH_MAX = 40;

/** kind cluster names become container names and hostnames: lowercase letters, digits and '-'. */
export function kindClusterName(prefix: string, pid: number, counter: number): string {
  const name = `sluice-${prefix}-${pid}-${counter}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, KIND_NAME_LENGTH_MAX)
    .replace(/-+$/, "");
  return name;
}

/** One control-plane node and `nodes - 1` workers, so StatefulSet pods spread as on localkube. */
export function kindConfigYaml(nodes: number): string {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > KIND_NODES_MAX) throw new Error(`kind: nodes must be 1..${KIND_NODES_MAX}, got ${nodes}`);
  const roles = ["control-plane", ...Array.from({ length: nodes - 1 }, () => "worker")];
  return stringify({ kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", nodes: roles.map((role) => ({ role })) });
}

/** The tags the chart (operator) and the operator's StatefulSets (brokers) ask for by default; one image serves both. */
export function sluiceImages(root: string): string[] {
  const chart = parse(readFileSync(join(root, "charts", "sluice", "Chart.yaml"), "utf8")) as { appVersion?: unknown };
  if (typeof chart.appVersion !== "string" || chart.appVersion === "") throw new Error("charts/sluice/Chart.yaml has no appVersion");
  return [`sluice/operator:${chart.appVersion}`, `sluice/broker:${brokerDefaultVersion}`];
}

export const kindArgs = {
  version: (): string[] => ["version"],
  create: (name: string, configPath: string, kubeconfigPath: string): string[] => [
    "create",
    "cluster",
    "--name",
    name,
    "--image",
    KIND_NODE_IMAGE,
    "--config",
    configPath,
    "--kubeconfig",
    kubeconfigPath,
    "--wait",
    "180s",
  ],
  load: (name: string, image: string): string[] => ["load", "docker-image", image, "--name", name],
  delete: (name: string, kubeconfigPath: string): string[] => ["delete", "cluster", "--name", name, "--kubeconfig", kubeconfigPath],
};

/** `kind version` prints e.g. "kind v0.30.0 go1.24.6 linux/amd64". */
export function isKindVersion(output: string, version = KIND_VERSION): boolean {
  return new RegExp(`^kind ${version.replace(/\./g, "\\.")}\\s`).test(output.trim() + " ");
}

/** The local port from `kubectl port-forward` output ("Forwarding from 127.0.0.1:41234 -> 4222"), if printed yet. */
export function parseForwardedPort(output: string): number | undefined {
  const m = /Forwarding from 127\.0\.0\.1:(\d{1,5}) -> \d{1,5}/.exec(output);
  if (!m?.[1]) return undefined;
  const port = Number(m[1]);
  return port > 0 && port < 65536 ? port : undefined;
}
