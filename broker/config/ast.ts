/**
 * The parsed form of a nats-server config file: plain values that remember where they came from.
 * The syntax layer (lexer, parser) produces these; the mapping layer (`from-config.ts`) turns them
 * into `ServerOptions` and uses the positions for its error messages.
 */
import type { Pos } from "./errors.js";

export type ConfValue =
  | { readonly kind: "string"; readonly value: string; readonly pos: Pos }
  /** `raw` keeps the source text, e.g. `64MB`, so callers can tell `2m` (a suffixed int) from `2`. */
  | { readonly kind: "int"; readonly value: number; readonly raw: string; readonly pos: Pos }
  | { readonly kind: "float"; readonly value: number; readonly raw: string; readonly pos: Pos }
  | { readonly kind: "bool"; readonly value: boolean; readonly raw: string; readonly pos: Pos }
  | { readonly kind: "datetime"; readonly value: Date; readonly raw: string; readonly pos: Pos }
  | { readonly kind: "array"; readonly items: readonly ConfValue[]; readonly pos: Pos }
  | { readonly kind: "map"; readonly entries: readonly ConfEntry[]; readonly pos: Pos };

export interface ConfEntry {
  /** As written (case preserved); server keys are matched case-insensitively by the mapping layer. */
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: ConfValue;
  /**
   * Set when a `$name` reference resolved to this entry. nats-server does not report such entries
   * as unknown keys: defining `PORT: 4222` only to write `port: $PORT` is the documented idiom.
   */
  usedAsVariable: boolean;
}

export type ConfMap = Extract<ConfValue, { kind: "map" }>;

/** A short description of a value for "expected X, got Y" messages. */
export function describeValue(v: ConfValue): string {
  switch (v.kind) {
    case "string":
      return JSON.stringify(v.value.length > 60 ? v.value.slice(0, 57) + "..." : v.value);
    case "int":
    case "float":
    case "datetime":
      return v.raw;
    case "bool":
      return `boolean ${v.raw}`;
    case "array":
      return "an array";
    case "map":
      return "a block { ... }";
  }
}

/** The same value reported at another position (a `$variable` reference site). */
export function withPos(v: ConfValue, pos: Pos): ConfValue {
  return { ...v, pos };
}

/** Plain JavaScript form of a value, for tests and debugging. */
export function toPlain(v: ConfValue): unknown {
  switch (v.kind) {
    case "array":
      return v.items.map(toPlain);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const e of v.entries) out[e.key] = toPlain(e.value);
      return out;
    }
    default:
      return v.value;
  }
}
