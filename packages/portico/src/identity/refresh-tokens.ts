import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/database.js';
import { randomToken, type SecretHasher } from './secrets.js';

/** Lifetimes of refresh tokens. */
export interface RefreshOptions {
  /** A token unused for this long expires. */
  idleSeconds: number;
  /** A session (family) ends this long after login, however often it is refreshed. */
  absoluteSeconds: number;
}

/** A freshly issued refresh token: `token` is given to the client once and never stored. */
export interface IssuedRefresh {
  token: string;
  familyId: string;
  userId: string;
  tenant: string;
}

/** Why a refresh was refused. `reused` means the family was revoked because of it. */
export type RotateResult =
  | { ok: true; issued: IssuedRefresh; previousFamilyExpiry: Date }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused'; familyId?: string; userId?: string };

/**
 * Refresh tokens: opaque, stored as HMACs, grouped into families (one per login). Every use
 * rotates the token; presenting a token that was already rotated means two parties hold it, so
 * the whole family is revoked. The rotation is one conditional UPDATE (`used_at is null`), so of
 * concurrent refreshes with the same token the database lets exactly one through, across
 * processes, without any lock in memory.
 *
 * @example
 * ```ts
 * const first = await tokens.issue(user.id, user.tenant);
 * const next = await tokens.rotate(first.token); // { ok: true, issued: {...} }
 * await tokens.rotate(first.token);              // { ok: false, reason: 'reused' } and the family is revoked
 * ```
 */
export class RefreshTokens {
  readonly #db: Kysely<Database>;
  readonly #hasher: SecretHasher;
  readonly #options: RefreshOptions;

  constructor(db: Kysely<Database>, hasher: SecretHasher, options: RefreshOptions) {
    this.#db = db;
    this.#hasher = hasher;
    this.#options = options;
  }

  /** Starts a family (a login). */
  async issue(userId: string, tenant: string): Promise<IssuedRefresh> {
    const familyExpiry = new Date(Date.now() + this.#options.absoluteSeconds * 1000);
    return this.#insert(this.#db, { userId, tenant, familyId: randomUUID(), familyExpiry });
  }

  /** Uses `token` once: the winner gets the next token of the family, everyone else a refusal. */
  async rotate(token: string): Promise<RotateResult> {
    const hash = this.#hasher.hash(token);
    const now = new Date();
    const rotated = await this.#db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('family_expires_at', '>', now)
        .returning(['user_id', 'tenant', 'family_id', 'family_expires_at'])
        .executeTakeFirst();
      if (!used) return undefined;
      const issued = await this.#insert(trx, {
        userId: used.user_id,
        tenant: used.tenant,
        familyId: used.family_id,
        familyExpiry: used.family_expires_at,
      });
      return { issued, previousFamilyExpiry: used.family_expires_at };
    });
    if (rotated) return { ok: true, ...rotated };
    return this.#refusal(hash, now);
  }

  /** Revokes the family `token` belongs to (logout). Returns the family, or undefined when unknown. */
  async revokeByToken(token: string): Promise<{ familyId: string; userId: string; tenant: string } | undefined> {
    const row = await this.#db
      .selectFrom('refresh_tokens')
      .select(['family_id', 'user_id', 'tenant'])
      .where('token_hash', '=', this.#hasher.hash(token))
      .executeTakeFirst();
    if (!row) return undefined;
    await this.revokeFamily(row.family_id);
    return { familyId: row.family_id, userId: row.user_id, tenant: row.tenant };
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.#db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Revokes every session of a user (password change, disable); returns the families revoked. */
  async revokeUser(userId: string, db: Kysely<Database> = this.#db): Promise<string[]> {
    const rows = await db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('family_id')
      .execute();
    return [...new Set(rows.map((row) => row.family_id))];
  }

  /** Deletes tokens whose family ended long ago; the table would otherwise only grow. */
  async prune(): Promise<number> {
    const result = await this.#db
      .deleteFrom('refresh_tokens')
      .where('family_expires_at', '<', sql<Date>`now() - interval '1 day'`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #refusal(hash: string, now: Date): Promise<RotateResult> {
    const row = await this.#db
      .selectFrom('refresh_tokens')
      .select(['family_id', 'user_id', 'used_at', 'revoked_at', 'expires_at', 'family_expires_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    const about = { familyId: row.family_id, userId: row.user_id };
    if (row.revoked_at) return { ok: false, reason: 'revoked', ...about };
    if (row.used_at) {
      // Rotated already: whoever holds the newer token and whoever holds this one are not the same party.
      await this.revokeFamily(row.family_id);
      return { ok: false, reason: 'reused', ...about };
    }
    if (row.expires_at <= now || row.family_expires_at <= now) return { ok: false, reason: 'expired', ...about };
    return { ok: false, reason: 'unknown' };
  }

  async #insert(
    db: Kysely<Database>,
    family: { userId: string; tenant: string; familyId: string; familyExpiry: Date },
  ): Promise<IssuedRefresh> {
    const token = randomToken(32);
    const idleExpiry = new Date(Date.now() + this.#options.idleSeconds * 1000);
    await db
      .insertInto('refresh_tokens')
      .values({
        id: randomUUID(),
        token_hash: this.#hasher.hash(token),
        family_id: family.familyId,
        user_id: family.userId,
        tenant: family.tenant,
        expires_at: idleExpiry < family.familyExpiry ? idleExpiry : family.familyExpiry,
        family_expires_at: family.familyExpiry,
      })
      .execute();
    return { token, familyId: family.familyId, userId: family.userId, tenant: family.tenant };
  }
}
