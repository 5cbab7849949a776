import { StoreError } from '../store.js';

/**
 * The start-up errors of the store's encryption keys. Each stops the start (exit code 2, like a
 * configuration error: restarting without changing the settings cannot help) and has a section
 * in `docs/errors.md`; a test keeps the two in step.
 */
export const STORE_KEY_ERROR_CODES = {
  /** The store needs a key-encryption key and none is configured (or the key file is gone). */
  STORE_KEY_MISSING: 'no key-encryption key',
  /** The store's data key is wrapped by a key id that is not among the configured keys. */
  STORE_KEY_UNKNOWN: 'key id not configured',
  /** A configured key has the store's key id but does not open its data key. */
  STORE_KEY_WRONG: 'wrong key',
  /** The configured keys cannot be read: bad syntax, a bad length, a duplicate id, two sources. */
  STORE_KEY_INVALID: 'unreadable key setting',
  /** A sealed value does not decrypt under a data key the store opened: altered or moved. */
  STORE_SECRET_UNREADABLE: 'sealed value does not decrypt',
} as const;

/** One of {@link STORE_KEY_ERROR_CODES}. */
export type StoreKeyErrorCode = keyof typeof STORE_KEY_ERROR_CODES;

/**
 * A store that cannot be opened because of its encryption keys. The message starts with the
 * code and names the setting to change; it never contains key material.
 *
 * @example
 * ```ts
 * throw new StoreKeyError('STORE_KEY_MISSING', 'set PORTICO_STORE_KEYS (store.encryptionKeys)');
 * // error.message: "STORE_KEY_MISSING: set PORTICO_STORE_KEYS (store.encryptionKeys)"
 * ```
 */
export class StoreKeyError extends StoreError {
  override readonly name: string = 'StoreKeyError';
  readonly code: StoreKeyErrorCode;

  constructor(code: StoreKeyErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}
