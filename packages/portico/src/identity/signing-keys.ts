import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { type SecretBox, sealContext } from '../store/secrets/secret-box.js';

/** The asymmetric algorithms access tokens may be signed with. */
export type SigningAlgorithm = 'EdDSA' | 'ES256';

/** A key jose signs with. */
export type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

/** The key that signs new tokens. */
export interface ActiveKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: PrivateKey;
}

interface NewKeyRow {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: string;
  private_jwk: string;
}

/** A key as the admin API lists it (never the private part). */
export interface KeyInfo {
  kid: string;
  alg: string;
  createdAt: string;
  retiredAt: string | null;
  verifyUntil: string | null;
}

interface LoadedKey extends KeyInfo {
  publicJwk: JWK;
  /** The private JWK as stored: sealed. Only the signing key's is ever opened. */
  sealedPrivate: string;
}

const privateContext = (kid: string) => sealContext('signing_keys', 'private_jwk', kid);

/**
 * The JWT key ring in the store. One key signs; keys it replaced keep verifying for
 * `graceSeconds` (at least one access-token lifetime, so no token outlives its key), then leave
 * the JWKS. Rotation is a database write, so every identity process sees it after `reload`.
 * Private keys are sealed by the store's secret box before they are written: the store never
 * holds one in clear.
 *
 * @example
 * ```ts
 * const ring = new KeyRing(db, box, { algorithm: 'EdDSA', graceSeconds: 1800 });
 * await ring.load();
 * const { kid } = await ring.rotate();
 * ring.jwks(); // the new key and the previous one, until the grace period ends
 * ```
 */
export class KeyRing {
  readonly #db: Kysely<Database>;
  readonly #box: SecretBox;
  readonly #algorithm: SigningAlgorithm;
  readonly #graceSeconds: number;
  #keys: LoadedKey[] = [];
  #active: ActiveKey | undefined;
  #jwks: JSONWebKeySet = { keys: [] };
  /** When the next retired key leaves the JWKS (ms since the epoch). */
  #nextExpiry = Number.POSITIVE_INFINITY;

  constructor(db: Kysely<Database>, box: SecretBox, options: { algorithm: SigningAlgorithm; graceSeconds: number }) {
    this.#db = db;
    this.#box = box;
    this.#algorithm = options.algorithm;
    this.#graceSeconds = options.graceSeconds;
  }

  /** Reads the ring; creates the first key when there is none. */
  async load(): Promise<void> {
    await this.#read();
    if (!this.#keys.some((key) => key.retiredAt === null)) {
      await this.#insert(await this.#generate());
      await this.#read();
    }
  }

  /** Re-reads the ring, e.g. after another process rotated it. */
  reload(): Promise<void> {
    return this.load();
  }

  /** The key that signs now: the newest one not retired. */
  active(): ActiveKey {
    if (!this.#active) throw new Error('the key ring is not loaded');
    return this.#active;
  }

  /**
   * Public keys that verify now: the active one and those still in their grace period. The set
   * is rebuilt only when a key's grace ends, so callers may cache by identity.
   */
  jwks(now = Date.now()): JSONWebKeySet {
    if (now >= this.#nextExpiry) this.#publish(now);
    return this.#jwks;
  }

  /** Each published key's end of grace (ms), for copies that must drop it on time too. */
  expiries(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of this.#keys) if (key.verifyUntil) out[key.kid] = Date.parse(key.verifyUntil);
    return out;
  }

  list(): KeyInfo[] {
    return this.#keys.map(({ kid, alg, createdAt, retiredAt, verifyUntil }) => ({
      kid,
      alg,
      createdAt,
      retiredAt,
      verifyUntil,
    }));
  }

  /** Creates a new signing key; the previous ones retire and verify until the grace period ends. */
  async rotate(): Promise<{ kid: string; retired: string[] }> {
    const fresh = await this.#generate();
    const now = new Date();
    const until = new Date(now.getTime() + this.#graceSeconds * 1000);
    const retired = await this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('signing_keys')
        .set({ retired_at: now, verify_until: until })
        .where('retired_at', 'is', null)
        .returning('kid')
        .execute();
      await trx.insertInto('signing_keys').values(fresh).execute();
      return rows.map((row) => row.kid);
    });
    await this.#read();
    return { kid: fresh.kid, retired };
  }

  async #generate(): Promise<NewKeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(this.#algorithm, { extractable: true });
    const kid = randomBytes(12).toString('base64url');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: this.#algorithm, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: this.#algorithm };
    return {
      kid,
      alg: this.#algorithm,
      public_jwk: JSON.stringify(publicJwk),
      private_jwk: this.#box.seal(JSON.stringify(privateJwk), privateContext(kid)),
    };
  }

  async #insert(values: NewKeyRow): Promise<void> {
    await this.#db.insertInto('signing_keys').values(values).execute();
  }

  async #read(): Promise<void> {
    const now = new Date();
    // Keys past their grace period are deleted: a private key nobody may use is only a liability.
    await this.#db.deleteFrom('signing_keys').where('verify_until', '<', now).execute();
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
    this.#keys = rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      createdAt: row.created_at.toISOString(),
      retiredAt: row.retired_at?.toISOString() ?? null,
      verifyUntil: row.verify_until?.toISOString() ?? null,
      publicJwk: row.public_jwk as JWK,
      sealedPrivate: row.private_jwk,
    }));
    const signing = this.#keys.find((key) => key.retiredAt === null);
    this.#active = signing && {
      kid: signing.kid,
      alg: signing.alg as SigningAlgorithm,
      privateKey: await importJWK(
        JSON.parse(this.#box.open(signing.sealedPrivate, privateContext(signing.kid))) as JWK,
        signing.alg,
      ),
    };
    this.#publish(now.getTime());
  }

  #publish(now: number): void {
    const live = this.#keys.filter((key) => key.verifyUntil === null || Date.parse(key.verifyUntil) > now);
    this.#jwks = { keys: live.map((key) => key.publicJwk) };
    const ends = live.flatMap((key) => (key.verifyUntil ? [Date.parse(key.verifyUntil)] : []));
    this.#nextExpiry = Math.min(Number.POSITIVE_INFINITY, ...ends);
  }
}
