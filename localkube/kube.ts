/**
 * Kubernetes API access for the agent: a client from the cluster's admin kubeconfig and a
 * list+watch cache that relists on any watch error (the informer in client-node does not recover
 * from every failure, and a kubelet that silently stops watching is the worst kind of fake).
 */
import { KubeConfig, Watch, type KubernetesObject } from "@kubernetes/client-node";

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** HTTP status of a client-node error, if any. */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return apiStatus(err) === 404;
}

export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string | undefined } | undefined;
}

export type WatchEvent = "ADDED" | "MODIFIED" | "DELETED";

export interface ListWatchOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** Watch path, e.g. /api/v1/pods */
  path: string;
  query?: Record<string, string>;
  list: () => Promise<ListResult<T>>;
  onEvent: (type: WatchEvent, obj: T) => void;
  onError?: (err: unknown) => void;
  relistDelay_ms?: number;
}

export function objectKey(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export class ListWatch<T extends KubernetesObject> {
  readonly cache = new Map<string, T>();
  private abort: AbortController | undefined;
  private stopped = false;
  private synced = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ListWatchOptions<T>) {}

  hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort();
  }

  private scheduleRelist(err: unknown): void {
    if (this.stopped) return;
    if (err !== null && err !== undefined && (err as { name?: string }).name !== "AbortError") this.o.onError?.(err);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.o.relistDelay_ms ?? 1000);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    let rv: string | undefined;
    try {
      const res = await this.o.list();
      const seen = new Set<string>();
      for (const item of res.items) {
        const key = objectKey(item);
        seen.add(key);
        const old = this.cache.get(key);
        this.cache.set(key, item);
        if (old?.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.o.onEvent(old ? "MODIFIED" : "ADDED", item);
      }
      for (const [key, old] of [...this.cache]) {
        if (!seen.has(key)) {
          this.cache.delete(key);
          this.o.onEvent("DELETED", old);
        }
      }
      rv = res.metadata?.resourceVersion;
      this.synced = true;
    } catch (err) {
      this.scheduleRelist(err);
      return;
    }
    if (this.stopped) return;
    try {
      this.abort = await new Watch(this.o.kc).watch(
        this.o.path,
        { ...(this.o.query ?? {}), ...(rv !== undefined ? { resourceVersion: rv } : {}), allowWatchBookmarks: true },
        (type: string, obj: T) => {
          if (type === "BOOKMARK" || type === "ERROR") {
            if (type === "ERROR") this.abort?.abort();
            return;
          }
          const key = objectKey(obj);
          if (type === "DELETED") this.cache.delete(key);
          else this.cache.set(key, obj);
          this.o.onEvent(type as WatchEvent, obj);
        },
        (err: unknown) => this.scheduleRelist(err),
      );
    } catch (err) {
      this.scheduleRelist(err);
    }
  }
}
