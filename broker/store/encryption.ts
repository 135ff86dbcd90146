/**
 * Encryption at rest: AES-256-GCM per record. Each record stores the id of the key that sealed
 * it, so keys rotate by adding a new id (new records use the highest id; old ones stay readable
 * while their key is in the keyring). Nonces are random 96-bit values; with one key, rotate
 * before ~2^32 records (NIST SP 800-38D bound for random nonces).
 *
 * Keyring text format (file or environment variable), one key per line or comma-separated:
 *   <key id 1..65535>:<64 hex chars>      e.g. "1:00112233...", "#" starts a comment line
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { MissingKeyError } from "./record.js";
import type { BodyCipher } from "./record.js";

const keyBytes = 32;
const nonceBytes = 12;
const tagBytes = 16;

export class KeyringError extends Error {
  override name = "KeyringError";
}

export class Keyring implements BodyCipher {
  readonly currentKeyId: number;

  constructor(private readonly keys: ReadonlyMap<number, Uint8Array>) {
    if (keys.size === 0) throw new KeyringError("encryption keyring is empty");
    for (const [id, key] of keys) {
      if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new KeyringError(`key id ${id} is not in 1..65535`);
      if (key.length !== keyBytes) throw new KeyringError(`key ${id} is ${key.length} bytes, AES-256 needs ${keyBytes}`);
    }
    this.currentKeyId = Math.max(...keys.keys());
  }

  static parse(text: string, source = "keyring"): Keyring {
    const keys = new Map<number, Uint8Array>();
    const items = text.split(/[\n,]/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    for (const item of items) {
      const m = /^(\d{1,5}):([0-9a-fA-F]{64})$/.exec(item);
      if (m === null) throw new KeyringError(`${source}: expected "<id>:<64 hex chars>", got an entry of ${item.length} chars`);
      const id = Number(m[1]);
      if (keys.has(id)) throw new KeyringError(`${source}: key id ${id} appears twice`);
      keys.set(id, Uint8Array.from(m[2]!.match(/../g)!.map((h) => parseInt(h, 16))));
    }
    return new Keyring(keys);
  }

  has(keyId: number): boolean {
    return this.keys.has(keyId);
  }

  seal(aad: Uint8Array, plain: Uint8Array): Uint8Array {
    const nonce = randomBytes(nonceBytes);
    const c = createCipheriv("aes-256-gcm", this.keys.get(this.currentKeyId)!, nonce);
    c.setAAD(aad);
    const out = new Uint8Array(nonceBytes + plain.length + tagBytes);
    out.set(nonce, 0);
    const body = c.update(plain);
    const final = c.final();
    out.set(body, nonceBytes);
    out.set(final, nonceBytes + body.length);
    out.set(c.getAuthTag(), nonceBytes + plain.length);
    return out;
  }

  open(keyId: number, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    const key = this.keys.get(keyId);
    if (key === undefined) throw new MissingKeyError(`record sealed with key id ${keyId}, which is not in the keyring`);
    if (sealed.length < nonceBytes + tagBytes) throw new KeyringError("sealed body too short");
    const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, nonceBytes));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - tagBytes));
    const a = d.update(sealed.subarray(nonceBytes, sealed.length - tagBytes));
    const b = d.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }
}
