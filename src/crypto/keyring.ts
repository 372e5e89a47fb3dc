import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

/** Master keys by id; `activeId` wraps new data keys, the others still unwrap existing ones. */
export interface KeyRing {
  readonly keys: ReadonlyMap<string, Buffer>;
  readonly activeId: string;
}

export const MASTER_KEY_BYTES = 32;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class KeyRingError extends AppError {
  constructor(message: string) {
    super('KEY_RING_INVALID', message, 500);
    this.name = 'KeyRingError';
  }
}

/**
 * The id of a key given without one: derived from the key so the same key always has the same id,
 * yet the id reveals nothing usable about the key.
 */
export function keyFingerprintId(key: Buffer): string {
  const digest = createHash('sha256').update('mailhelper master key id\0').update(key).digest('hex');
  return `k-${digest.slice(0, 12)}`;
}

export function generateMasterKey(): { id: string; key: Buffer } {
  const key = randomBytes(MASTER_KEY_BYTES);
  return { id: keyFingerprintId(key), key };
}

function decodeKey(text: string, where: string): Buffer {
  const value = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(value)) key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== MASTER_KEY_BYTES) {
    throw new KeyRingError(`${where}: a master key must be 32 bytes, written as base64 or 64 hex digits`);
  }
  return key;
}

/**
 * Parses a key ring. Format (one key per line; `#` starts a comment line; blank lines ignored):
 *   <id>:<base64 or hex 32-byte key>
 * The LAST key listed is the active one. A text that is a single bare key (no id) is accepted too;
 * its id is derived from its fingerprint. `source` names where the text came from, for messages;
 * messages never contain key material.
 */
export function parseKeyRing(text: string, source: string): KeyRing {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ line: l.trim(), number: i + 1 }))
    .filter((l) => l.line !== '' && !l.line.startsWith('#'));
  if (lines.length === 0) throw new KeyRingError(`${source}: contains no master key`);
  const keys = new Map<string, Buffer>();
  let activeId = '';
  for (const { line, number } of lines) {
    const where = `${source} line ${number}`;
    const colon = line.indexOf(':');
    let id: string;
    let key: Buffer;
    if (colon === -1) {
      if (lines.length > 1) throw new KeyRingError(`${where}: every key in a ring of several needs an id ("id:key")`);
      key = decodeKey(line, where);
      id = keyFingerprintId(key);
    } else {
      id = line.slice(0, colon).trim();
      if (!ID_PATTERN.test(id)) throw new KeyRingError(`${where}: key id must be 1-64 letters, digits, "_", "." or "-"`);
      key = decodeKey(line.slice(colon + 1), where);
    }
    if (keys.has(id)) throw new KeyRingError(`${where}: key id "${id}" appears twice`);
    for (const [otherId, other] of keys) {
      if (other.equals(key)) throw new KeyRingError(`${where}: the same key is listed as "${otherId}" and "${id}"`);
    }
    keys.set(id, key);
    activeId = id;
  }
  return { keys, activeId };
}

/** Writes a ring in the format parseKeyRing reads, the active key last. */
export function serializeKeyRing(ring: KeyRing): string {
  const header = [
    '# mailhelper master key ring. One key per line, "id:base64"; the LAST key is active.',
    '# Keep a copy of this file apart from the data: without it the data cannot be read.',
  ];
  const ids = [...ring.keys.keys()].filter((id) => id !== ring.activeId);
  ids.push(ring.activeId);
  return [...header, ...ids.map((id) => `${id}:${ring.keys.get(id)!.toString('base64')}`), ''].join('\n');
}

export function ringWith(ring: KeyRing, id: string, key: Buffer): KeyRing {
  if (ring.keys.has(id)) throw new KeyRingError(`key id "${id}" is already in the ring`);
  const keys = new Map(ring.keys);
  keys.set(id, key);
  return { keys, activeId: id };
}

export function ringWithout(ring: KeyRing, id: string): KeyRing {
  if (id === ring.activeId) throw new KeyRingError(`key "${id}" is the active key and cannot be retired`);
  const keys = new Map(ring.keys);
  keys.delete(id);
  return { keys, activeId: ring.activeId };
}
