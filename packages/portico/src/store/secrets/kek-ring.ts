import { randomBytes } from 'node:crypto';
import { StoreKeyError } from './key-errors.js';

/** One key-encryption key: an id stored beside what it wraps, and 32 bytes for AES-256. */
export interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
// 32 bytes are 43 base64 characters and one '=' of padding; base64url without padding too.
const KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/**
 * The configured key-encryption keys, in order: the first wraps the store's data key, the
 * others only unwrap (during a rotation). Parsed from `<id>:<base64 of 32 bytes>` entries
 * separated by commas or new lines; lines starting with `#` are comments, so a key file can say
 * what it is and `PORTICO_STORE_KEYS="$(cat store.key)"` still works.
 *
 * @example
 * ```ts
 * const ring = KekRing.parse('k2:…,k1:…', 'PORTICO_STORE_KEYS (store.encryptionKeys)');
 * ring.primary.id; // 'k2'
 * ring.get('k1');  // the old key, to unwrap until the store is re-wrapped
 * ```
 */
export class KekRing {
  readonly primary: KeyEncryptionKey;
  /** Where the keys came from, for messages: a setting's names or a file's path. */
  readonly source: string;
  readonly #byId: Map<string, KeyEncryptionKey>;

  private constructor(keys: KeyEncryptionKey[], source: string) {
    this.primary = keys[0] as KeyEncryptionKey;
    this.source = source;
    this.#byId = new Map(keys.map((key) => [key.id, key]));
  }

  /** Parses a key list; every problem is a `STORE_KEY_INVALID` that names the entry, never its key. */
  static parse(text: string, source: string): KekRing {
    // Comments first (a comment may hold a comma), then the entries of each line.
    const entries = text
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .flatMap((line) => line.split(','))
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) throw new StoreKeyError('STORE_KEY_INVALID', `${source} holds no key`);
    const keys = entries.map((entry, index) => parseEntry(entry, index + 1, source));
    const seen = new Set<string>();
    for (const { id } of keys) {
      if (seen.has(id)) throw new StoreKeyError('STORE_KEY_INVALID', `${source} names key id "${id}" twice`);
      seen.add(id);
    }
    return new KekRing(keys, source);
  }

  get(id: string): KeyEncryptionKey | undefined {
    return this.#byId.get(id);
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }
}

function parseEntry(entry: string, position: number, source: string): KeyEncryptionKey {
  const colon = entry.indexOf(':');
  const id = colon === -1 ? '' : entry.slice(0, colon);
  const encoded = colon === -1 ? '' : entry.slice(colon + 1);
  // The message shows the id (not secret) at most: a key, even a malformed one, stays out of logs.
  if (!ID.test(id)) {
    throw new StoreKeyError(
      'STORE_KEY_INVALID',
      `${source}: entry ${position} must read <id>:<base64 of 32 bytes>, the id made of letters, digits, ".", "_" and "-" (at most 64)`,
    );
  }
  const key = KEY.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
  if (key?.length !== 32) {
    throw new StoreKeyError(
      'STORE_KEY_INVALID',
      `${source}: key "${id}" must be 32 random bytes in base64 (make one with: openssl rand -base64 32)`,
    );
  }
  return { id, key };
}

/**
 * A new key-encryption key as one `<id>:<base64>` line, for a generated key file or a rotation.
 *
 * @example
 * ```ts
 * newKekEntry(); // 'kek-20260102-3f9a1c:qv1…='
 * ```
 */
export function newKekEntry(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `kek-${day}-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`;
}
