/**
 * The operator's only path to the Kubernetes API: get, list, server-side apply, delete, and
 * list+watch, over HTTPS with credentials from a kubeconfig (or the pod's service account) via
 * @kubernetes/client-node's KubeConfig. Counts every write so tests can assert idempotence.
 */
import http from "node:http";
import https from "node:https";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { fieldManager } from "../builders/meta.js";
import { resourcePath, resourceType } from "./resources.js";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type WatchEvent = { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubernetesObject };

const requestTimeoutMs = 30_000;
const responseBytesMax = 64 * 1024 * 1024;

export class Kube {
  /** Write requests sent (apply, create, update, delete, patch), by verb. */
  readonly writes = new Map<string, number>();
  private readonly server: URL;

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (cluster === null) throw new Error("kubeconfig has no current cluster");
    this.server = new URL(cluster.server);
  }

  /** controller-runtime's order: --kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config. */
  static load(kubeconfigPath?: string): Kube {
    const kc = new KubeConfig();
    const fromEnv = process.env["KUBECONFIG"];
    if (kubeconfigPath !== undefined) kc.loadFromFile(kubeconfigPath);
    else if (fromEnv !== undefined && fromEnv !== "") kc.loadFromDefault();
    else if (process.env["KUBERNETES_SERVICE_HOST"] !== undefined) kc.loadFromCluster();
    else kc.loadFromDefault();
    return new Kube(kc);
  }

  writeCount(): number {
    let n = 0;
    for (const v of this.writes.values()) n += v;
    return n;
  }

  private async options(method: string, path: string, headers: Record<string, string>): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port === "" ? undefined : Number(this.server.port),
      path: (this.server.pathname === "/" ? "" : this.server.pathname) + path,
      headers: { Accept: "application/json", ...headers },
      timeout: requestTimeoutMs,
    };
    await this.config.applyToHTTPSOptions(opts);
    return opts;
  }

  private countWrite(verb: string): void {
    this.writes.set(verb, (this.writes.get(verb) ?? 0) + 1);
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    if (method !== "GET") this.countWrite(method === "PATCH" && contentType.startsWith("application/apply") ? "apply" : method.toLowerCase());
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const opts = await this.options(method, path, payload === undefined ? {} : { "Content-Type": contentType });
    const transport = this.server.protocol === "https:" ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > responseBytesMax) req.destroy(new Error(`response from ${path} exceeds ${responseBytesMax} bytes`));
          else chunks.push(c);
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve((text === "" ? undefined : JSON.parse(text)) as T);
            return;
          }
          let reason = "Unknown";
          let message = `${method} ${path}: HTTP ${status}`;
          try {
            const s = JSON.parse(text) as { reason?: string; message?: string };
            reason = s.reason ?? reason;
            message = `${method} ${path}: ${s.message ?? text}`;
          } catch {
            message += `: ${text.slice(0, 500)}`;
          }
          reject(new KubeApiError(status, reason, message));
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out after ${requestTimeoutMs} ms`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async get<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.request<T>("GET", resourcePath(resourceType(ref.apiVersion, ref.kind), ref.namespace, ref.name));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector?: string,
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const q = labelSelector !== undefined ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
    const list = await this.request<{ items: T[]; metadata: { resourceVersion: string } }>(
      "GET",
      resourcePath(resourceType(apiVersion, kind), namespace) + q,
    );
    for (const item of list.items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= kind;
    }
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  /** Server-side apply as `sluice-operator`. `force` takes ownership of conflicting fields. */
  async apply<T extends KubernetesObject>(obj: T, opts: { force: boolean; subresource?: "status" }): Promise<T> {
    const t = resourceType(obj.apiVersion!, obj.kind!);
    const path = resourcePath(t, obj.metadata?.namespace, obj.metadata?.name, opts.subresource);
    const q = `?fieldManager=${fieldManager}${opts.force ? "&force=true" : ""}`;
    return this.request<T>("PATCH", path + q, obj, "application/apply-patch+yaml");
  }

  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    const t = resourceType(obj.apiVersion!, obj.kind!);
    return this.request<T>("POST", resourcePath(t, obj.metadata?.namespace) + `?fieldManager=${fieldManager}`, obj);
  }

  async replace<T extends KubernetesObject>(obj: T): Promise<T> {
    const t = resourceType(obj.apiVersion!, obj.kind!);
    return this.request<T>("PUT", resourcePath(t, obj.metadata?.namespace, obj.metadata?.name) + `?fieldManager=${fieldManager}`, obj);
  }

  async mergePatch<T extends KubernetesObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    const t = resourceType(ref.apiVersion, ref.kind);
    return this.request<T>("PATCH", resourcePath(t, ref.namespace, ref.name) + `?fieldManager=${fieldManager}`, patch, "application/merge-patch+json");
  }

  /** Deletes only the object with this uid (a recreated pod of the same name is left alone). */
  async delete(ref: ObjectRef, uid?: string): Promise<boolean> {
    const t = resourceType(ref.apiVersion, ref.kind);
    const body = { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background", ...(uid !== undefined ? { preconditions: { uid } } : {}) };
    try {
      await this.request("DELETE", resourcePath(t, ref.namespace, ref.name), body);
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 404 || err.status === 409)) return false;
      throw err;
    }
  }

  /**
   * Streams watch events from `resourceVersion` until the server closes the stream, the signal
   * aborts, or an error; resolves with the last resourceVersion seen ("" after a 410 Gone).
   */
  async watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string | undefined,
    resourceVersion: string,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<string> {
    const t = resourceType(apiVersion, kind);
    const params = new URLSearchParams({ watch: "true", resourceVersion, allowWatchBookmarks: "true", timeoutSeconds: "300" });
    if (labelSelector !== undefined) params.set("labelSelector", labelSelector);
    const opts = await this.options("GET", `${resourcePath(t, namespace)}?${params.toString()}`, {});
    opts.timeout = 330_000;
    opts.signal = signal;
    const transport = this.server.protocol === "https:" ? https : http;
    return new Promise<string>((resolve, reject) => {
      let lastRv = resourceVersion;
      const req = transport.request(opts, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new KubeApiError(res.statusCode ?? 0, "WatchFailed", `watch ${kind}: HTTP ${res.statusCode}`));
          return;
        }
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          if (buffer.length > responseBytesMax) req.destroy(new Error(`watch ${kind}: event larger than ${responseBytesMax} bytes`));
          let nl: number;
          while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line.trim() === "") continue;
            const e = JSON.parse(line) as { type: string; object: KubernetesObject & { code?: number } };
            if (e.type === "ERROR") {
              lastRv = e.object.code === 410 ? "" : lastRv;
              req.destroy();
              resolve(lastRv);
              return;
            }
            lastRv = e.object.metadata?.resourceVersion ?? lastRv;
            if (e.type === "BOOKMARK") continue;
            e.object.apiVersion ??= apiVersion;
            e.object.kind ??= kind;
            onEvent(e as WatchEvent);
          }
        });
        res.on("end", () => resolve(lastRv));
        res.on("error", (err) => (signal.aborted ? resolve(lastRv) : reject(err)));
      });
      req.on("timeout", () => req.destroy());
      req.on("error", (err) => (signal.aborted ? resolve(lastRv) : reject(err)));
      req.end();
    });
  }
}
