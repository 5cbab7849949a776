import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { AccessTokenClaims } from './access-tokens.js';

/**
 * One revocation, until `until`: every token of a session, or a user's tokens issued before
 * `notBefore` (seconds since the epoch, rounded up so the second of the revocation is covered).
 */
export interface Revocation {
  kind: 'user' | 'session';
  id: string;
  /** Seconds since the epoch. */
  notBefore: number;
  /** Seconds since the epoch; after it every such token has expired anyway. */
  until: number;
}

/**
 * Revocations held in memory, checked on every verification without I/O. A gateway's view holds
 * one fed by change events; the identity core holds a `RevocationList`, which also persists.
 *
 * @example
 * ```ts
 * const set = new RevocationSet();
 * set.apply({ kind: 'session', id: familyId, notBefore: now, until: now + 960 });
 * set.isRevoked(claims); // true for that session's tokens
 * ```
 */
export class RevocationSet {
  readonly #entries = new Map<string, Revocation>();

  /** Adds a revocation (or replaces the one for the same user or session). */
  apply(revocation: Revocation): void {
    this.#entries.set(`${revocation.kind}:${revocation.id}`, revocation);
  }

  clear(): void {
    this.#entries.clear();
  }

  all(): Revocation[] {
    return [...this.#entries.values()];
  }

  /** The check `AccessTokenVerifier` calls: no I/O. */
  isRevoked = (claims: AccessTokenClaims): boolean => {
    const now = Date.now() / 1000;
    // A revoked session ends for good: no token of it is issued afterwards.
    if (claims.sid && this.#live(`session:${claims.sid}`, now)) return true;
    const user = this.#live(`user:${claims.sub}`, now);
    return user !== undefined && (claims.iat ?? 0) < user.notBefore;
  };

  /**
   * The earliest `iat` a new token of this user may carry. A user revocation refuses tokens of
   * the whole second it happened in (`iat` has no finer grain), so a login right after a password
   * change is stamped with the next second rather than refused.
   */
  issuedAtFor(userId: string): number {
    const now = Math.floor(Date.now() / 1000);
    const user = this.#live(`user:${userId}`, now);
    return user ? Math.max(now, user.notBefore) : now;
  }

  #live(key: string, now: number): Revocation | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.until < now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

/**
 * Access tokens are verified without I/O, so logout, a disabled user or a changed password would
 * leave them valid until they expire. This list closes that gap: it is small (entries live one
 * token lifetime), held in memory for the verifier, and persisted so a restart keeps it.
 *
 * @example
 * ```ts
 * await revocations.revoke({ kind: 'user', id: userId, notBefore: now, until: now + 900 });
 * revocations.isRevoked(claims); // true for that user's older tokens
 * ```
 */
export class RevocationList extends RevocationSet {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    super();
    this.#db = db;
  }

  async load(): Promise<void> {
    const now = new Date();
    await this.#db.deleteFrom('token_revocations').where('expires_at', '<', now).execute();
    const rows = await this.#db.selectFrom('token_revocations').selectAll().execute();
    this.clear();
    for (const row of rows) {
      this.apply({
        kind: row.kind,
        id: row.id,
        notBefore: Math.floor(row.not_before.getTime() / 1000),
        until: Math.floor(row.expires_at.getTime() / 1000),
      });
    }
  }

  /** Records a revocation in memory (at once) and in the store. */
  async revoke(revocation: Revocation): Promise<void> {
    this.apply(revocation);
    const values = {
      kind: revocation.kind,
      id: revocation.id,
      not_before: new Date(revocation.notBefore * 1000),
      expires_at: new Date(revocation.until * 1000),
    };
    await this.#db
      .insertInto('token_revocations')
      .values(values)
      .onConflict((conflict) =>
        conflict.columns(['kind', 'id']).doUpdateSet({ not_before: values.not_before, expires_at: values.expires_at }),
      )
      .execute();
  }
}
