import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Random text for secrets and identifiers: `bytes` of entropy as base64url.
 *
 * @example
 * ```ts
 * const refreshToken = randomToken(32); // 43 characters, 256 bits
 * ```
 */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Random lowercase letters and digits, for parts that people read (API key prefixes, client ids). */
export function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // 256 % 36 != 0: skip the top values so every character is equally likely.
  for (const byte of bytes) {
    if (byte >= 252) continue;
    out += ALPHANUMERIC[byte % 36];
    if (out.length === length) return out;
  }
  return out + randomAlphanumeric(length - out.length);
}

/**
 * A keyed hash (HMAC-SHA256) for high-entropy secrets: refresh tokens, API keys, client secrets.
 * They carry 256 random bits, so a slow password hash would only cost time on every call; the
 * key means a copy of the database alone cannot even confirm a guessed secret.
 *
 * @example
 * ```ts
 * const hasher = new SecretHasher(key);
 * const stored = hasher.hash(secret);
 * hasher.matches(stored, presented); // constant-time
 * ```
 */
export class SecretHasher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The key, for handing to a gateway's in-memory API-key copy. */
  get key(): Buffer {
    return this.#key;
  }

  hash(secret: string): string {
    return createHmac('sha256', this.#key).update(secret, 'utf8').digest('base64url');
  }

  /** Compares in constant time: the time taken says nothing about how much of the secret matched. */
  matches(stored: string, presented: string): boolean {
    const expected = Buffer.from(stored, 'utf8');
    const actual = Buffer.from(this.hash(presented), 'utf8');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
