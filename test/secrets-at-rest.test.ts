/**
 * Secrets at rest, in process, against both engines: the raw rows hold no private key material
 * in clear, tokens sign and verify across a restart with the key, a missing, unknown or wrong key
 * stops the open with its code, a KEK rotation re-wraps the store (old key removable after), and
 * a store written in clear before encryption is sealed on its first start with a key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify } from 'jose';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../packages/portico/src/identity/identity.js';
import type { Principal } from '../packages/portico/src/identity/model.js';
import { DEFAULT_IDENTITY_OPTIONS } from '../packages/portico/src/identity/options.js';
import { openStore, type Store } from '../packages/portico/src/store/index.js';
import { MIGRATIONS } from '../packages/portico/src/store/migrations/index.js';
import { type OpenedSecretBox, openSecretBox, sealContext } from '../packages/portico/src/store/secrets/index.js';
import { ADMIN_PASSWORD, ENGINES, type Engine } from './support/identity.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';

const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const K1 = kek('k1');
const K1_WRONG = kek('k1');
const K2 = kek('k2');

const ADMIN: Principal = {
  kind: 'user',
  subject: 'admin-id',
  tenant: 'platform',
  roles: ['super_admin'],
  permissions: [],
  scopes: [],
};

let postgres: PostgresServer | undefined;
let databases = 0;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.stop());

/** Where one store lives, so it can be closed and opened again like a restarted process. */
interface Place {
  url: string;
  dataDir: string;
}

async function newPlace(engine: Engine): Promise<Place> {
  if (engine === 'pglite') return { url: '', dataDir: mkdtempSync(join(tmpdir(), 'portico-secrets-')) };
  return { url: await (postgres as PostgresServer).createDatabase(`secrets_${++databases}`), dataDir: '' };
}

interface Opened {
  store: Store;
  identity: Identity;
  secrets: OpenedSecretBox;
  close(): Promise<void>;
}

/** Opens store, secrets and identity as `startIdentity` does; closes the store again on failure. */
async function open(place: Place, encryptionKeys: string): Promise<Opened> {
  const store = await openStore({ url: place.url, dataDir: place.dataDir, poolSize: 4 });
  try {
    const secrets = await openSecretBox(store, { encryptionKeys, encryptionKeyFile: '', dataDir: place.dataDir });
    const { identity } = await Identity.open(
      store,
      { ...DEFAULT_IDENTITY_OPTIONS, adminPassword: ADMIN_PASSWORD },
      secrets.box,
    );
    return {
      store,
      identity,
      secrets,
      async close() {
        await identity.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The error code an open fails with (the store it opened is closed again). */
async function openFails(place: Place, encryptionKeys: string): Promise<{ code: string; message: string }> {
  const error = (await open(place, encryptionKeys).then(
    async (opened) => {
      await opened.close();
      return undefined;
    },
    (e: unknown) => e,
  )) as { code?: string; message: string } | undefined;
  if (!error) throw new Error('the open succeeded');
  return { code: String(error.code), message: error.message };
}

/** Every table of the store as text, row by row, the way a stolen dump would read. */
async function dump(store: Store): Promise<string> {
  const { rows: tables } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables where table_schema = 'public'`.execute(store.db);
  let text = '';
  for (const { name } of tables) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(store.db);
    text += rows.map((r) => r.row).join('\n');
  }
  return text;
}

async function rawKeyRows(store: Store) {
  return store.db.selectFrom('signing_keys').select(['kid', 'private_jwk']).execute();
}

async function wrappedBy(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('store_data_keys').select('kek_id').execute();
  return rows.map((row) => row.kek_id);
}

describe.each(ENGINES)('secrets at rest on %s', (engine) => {
  let place: Place;
  let token = '';
  let kid = '';

  beforeAll(async () => {
    place = await newPlace(engine);
  });

  it('keeps no private key material in clear in any row', async () => {
    const opened = await open(place, K1);
    try {
      await opened.identity.rotateKeys(); // two private keys, one retired
      token = (await opened.identity.issuer.issue(ADMIN)).token;
      kid = opened.identity.keyRing.active().kid;
      const rows = await rawKeyRows(opened.store);
      expect(rows).toHaveLength(2);
      const secrets: string[] = [opened.identity.secrets.key.toString('base64')];
      for (const row of rows) {
        expect(row.private_jwk).toMatch(/^enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
        const jwk = JSON.parse(
          opened.secrets.box.open(row.private_jwk, sealContext('signing_keys', 'private_jwk', row.kid)),
        ) as JWK;
        expect(jwk.d).toEqual(expect.any(String));
        secrets.push(jwk.d as string);
      }
      const hashKey = await opened.store.db
        .selectFrom('identity_settings')
        .select('value')
        .where('key', '=', 'secret-hash-key')
        .executeTakeFirstOrThrow();
      expect(hashKey.value).toMatch(/^enc:v1:/);
      const everything = await dump(opened.store);
      for (const secret of secrets) {
        expect(everything).not.toContain(secret);
        expect(everything).not.toContain(Buffer.from(secret, 'base64url').toString('base64'));
      }
      expect(everything).not.toContain('"d"');
      expect(await wrappedBy(opened.store)).toEqual(['k1']);
    } finally {
      await opened.close();
    }
  }, 60_000);

  it('signs and verifies across a restart with the key', async () => {
    const opened = await open(place, K1);
    try {
      expect((await opened.identity.verifier.verify(token)).subject).toBe('admin-id');
      expect(opened.identity.keyRing.active().kid).toBe(kid);
      const fresh = (await opened.identity.issuer.issue(ADMIN)).token;
      expect((await opened.identity.verifier.verify(fresh)).tenant).toBe('platform');
      expect(opened.secrets).toMatchObject({ sealed: 0, rewrappedFrom: [], keyId: 'k1' });
    } finally {
      await opened.close();
    }
  }, 60_000);

  it('refuses to open without the key, with an unknown key or with the wrong one', async () => {
    const missing = await openFails(place, '');
    expect(missing.code).toBe('STORE_KEY_MISSING');
    expect(missing.message).toContain('PORTICO_STORE_KEYS');
    const unknown = await openFails(place, K2);
    expect(unknown.code).toBe('STORE_KEY_UNKNOWN');
    expect(unknown.message).toMatch(/"k1", which is not among the keys .*\(k2\)/);
    const wrong = await openFails(place, K1_WRONG);
    expect(wrong.code).toBe('STORE_KEY_WRONG');
    for (const failure of [missing, unknown, wrong]) {
      expect(failure.message).not.toContain(K1.split(':')[1]);
      expect(failure.message).not.toContain(K2.split(':')[1]);
    }
  }, 60_000);

  it('rotates the key-encryption key: both readable, re-wrapped to the new one, the old one removable', async () => {
    // Step 1: the new key beside the old one; the old one still wraps.
    let opened = await open(place, `${K1},${K2}`);
    expect(opened.secrets.rewrappedFrom).toEqual([]);
    expect(await wrappedBy(opened.store)).toEqual(['k1']);
    await opened.close();
    // Step 2: the new key first; the start re-wraps the store's data key to it.
    opened = await open(place, `${K2},${K1}`);
    expect(opened.secrets).toMatchObject({ keyId: 'k2', rewrappedFrom: ['k1'] });
    expect(await wrappedBy(opened.store)).toEqual(['k2']);
    expect((await opened.identity.verifier.verify(token)).subject).toBe('admin-id');
    await opened.close();
    // Step 3: the old key removed; everything still opens. The old key alone no longer does.
    opened = await open(place, K2);
    expect(opened.secrets.rewrappedFrom).toEqual([]);
    expect((await opened.identity.verifier.verify(token)).subject).toBe('admin-id');
    expect(opened.identity.keyRing.active().kid).toBe(kid);
    await opened.close();
    expect((await openFails(place, K1)).code).toBe('STORE_KEY_UNKNOWN');
  }, 90_000);

  it('seals a store written in clear before encryption on its first start with a key', async () => {
    const legacy = await newPlace(engine);
    const { kid: oldKid, publicJwk, hashKey } = await writeLegacyStore(legacy);
    const opened = await open(legacy, K1);
    try {
      expect(opened.secrets.sealed).toBe(2);
      const [row] = await rawKeyRows(opened.store);
      expect(row?.kid).toBe(oldKid);
      expect(row?.private_jwk).toMatch(/^enc:v1:/);
      expect(await dump(opened.store)).not.toContain('"d"');
      // The same key signs, so tokens verifiers already trust keep verifying; the same hash key
      // keeps refresh tokens, API keys and client secrets valid.
      expect(opened.identity.keyRing.active().kid).toBe(oldKid);
      const signed = (await opened.identity.issuer.issue(ADMIN)).token;
      const verified = await jwtVerify(signed, createLocalJWKSet({ keys: [publicJwk] }));
      expect(verified.payload.sub).toBe('admin-id');
      expect(opened.identity.secrets.key.equals(hashKey)).toBe(true);
    } finally {
      await opened.close();
    }
    const again = await open(legacy, K1);
    expect(again.secrets.sealed).toBe(0);
    await again.close();
  }, 90_000);
});

/** A store as the version before encryption left it: schema 0001, a private JWK and the hash key in clear. */
async function writeLegacyStore(place: Place): Promise<{ kid: string; publicJwk: JWK; hashKey: Buffer }> {
  const store = await openStore({ url: place.url, dataDir: place.dataDir, poolSize: 2 }, false);
  try {
    const migrator = new Migrator({
      db: store.db,
      provider: { getMigrations: async () => ({ '0001-identity': MIGRATIONS['0001-identity'] as never }) },
      migrationTableName: 'portico_migrations',
      migrationLockTableName: 'portico_migrations_lock',
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const kid = 'legacy-kid';
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
    const hashKey = randomBytes(32);
    await sql`insert into signing_keys (kid, alg, public_jwk, private_jwk)
      values (${kid}, 'EdDSA', ${JSON.stringify(publicJwk)}::jsonb, ${JSON.stringify(privateJwk)}::jsonb)`.execute(
      store.db,
    );
    await sql`insert into identity_settings (key, value) values ('secret-hash-key', ${hashKey.toString('base64')})`.execute(
      store.db,
    );
    return { kid, publicJwk, hashKey };
  } finally {
    await store.close();
  }
}
