/**
 * The store against both engines: the one migration set applies (once, also when two processes
 * race), JSON and time round-trip the same, the refresh rotation's conditional UPDATE lets one of
 * many concurrent callers through even across connection pools, and `portico migrate` works.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshTokens } from '../packages/portico/src/identity/refresh-tokens.js';
import { SecretHasher } from '../packages/portico/src/identity/secrets.js';
import { migrateToLatest, openStore, type Store, StoreError } from '../packages/portico/src/store/index.js';
import { MIGRATIONS } from '../packages/portico/src/store/migrations/index.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { PORTICO_BIN, spawnNode } from './support/processes.js';

let postgres: PostgresServer;
let databases = 0;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.stop());

const newDatabase = () => postgres.createDatabase(`store_${++databases}`);

async function open(engine: 'pglite' | 'postgres'): Promise<Store> {
  return engine === 'pglite'
    ? openStore({ url: 'memory:', dataDir: '', poolSize: 1 })
    : openStore({ url: await newDatabase(), dataDir: '', poolSize: 10 });
}

describe.each(['pglite', 'postgres'] as const)('store on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await open(engine);
  }, 60_000);
  afterAll(() => store?.close());

  it('applies every migration once, in order', async () => {
    const applied = await store.db
      .selectFrom(sql.table('portico_migrations').as('m'))
      .select(sql<string>`name`.as('name'))
      .orderBy(sql`name`)
      .execute();
    expect(applied.map((row) => row.name)).toEqual(Object.keys(MIGRATIONS).sort());
    expect(await migrateToLatest(store.db)).toEqual([]);
    const tables = await sql<{
      table_name: string;
    }>`select table_name from information_schema.tables where table_schema = 'public' order by 1`.execute(store.db);
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        'tenants',
        'users',
        'roles',
        'refresh_tokens',
        'signing_keys',
        'api_keys',
        'service_clients',
        'audit_log',
        'token_revocations',
      ]),
    );
  });

  it('round-trips JSON documents, arrays and timestamps the same way', async () => {
    const config = { nested: { list: [1, 'two', null], emoji: '🚀', quote: '"' }, empty: {} };
    const at = new Date('2026-01-02T03:04:05.678Z');
    await store.db
      .insertInto('tenants')
      .values({
        name: `json-${engine}`,
        display_name: 'J',
        enabled_services: JSON.stringify(['a', 'b']),
        config: JSON.stringify(config),
        created_at: at,
      })
      .execute();
    const row = await store.db
      .selectFrom('tenants')
      .selectAll()
      .where('name', '=', `json-${engine}`)
      .executeTakeFirstOrThrow();
    expect(row.enabled_services).toEqual(['a', 'b']);
    expect(row.config).toEqual(config);
    expect(row.created_at).toBeInstanceOf(Date);
    expect(row.created_at.toISOString()).toBe(at.toISOString());
  });

  it('rolls a transaction back on error', async () => {
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('identity_settings').values({ key: 'tx-test', value: 'x' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const row = await store.db
      .selectFrom('identity_settings')
      .selectAll()
      .where('key', '=', 'tx-test')
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('lets exactly one of 20 concurrent rotations of one refresh token through', async () => {
    await store.db
      .insertInto('tenants')
      .values({ name: `rt-${engine}`, display_name: 'R', enabled_services: '[]', config: '{}' })
      .execute();
    const userId = crypto.randomUUID();
    await store.db
      .insertInto('users')
      .values({
        id: userId,
        tenant: `rt-${engine}`,
        username: 'u',
        email: null,
        password_hash: 'x',
        roles: '[]',
        active: true,
        last_login_at: null,
      })
      .execute();
    const tokens = new RefreshTokens(store.db, new SecretHasher(Buffer.alloc(32, 1)), {
      idleSeconds: 60,
      absoluteSeconds: 600,
    });
    const issued = await tokens.issue(userId, `rt-${engine}`);
    const results = await Promise.all(Array.from({ length: 20 }, () => tokens.rotate(issued.token)));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(
      results
        .filter((result) => !result.ok)
        .every((result) => !result.ok && ['reused', 'revoked'].includes(result.reason)),
    ).toBe(true);
  });
});

describe('store on PostgreSQL, from several processes at once', () => {
  it('migrates once when two stores race to migrate the same database', async () => {
    const url = await newDatabase();
    const [a, b] = await Promise.all([
      openStore({ url, dataDir: '', poolSize: 2 }),
      openStore({ url, dataDir: '', poolSize: 2 }),
    ]);
    const rows = await a.db.selectFrom(sql.table('portico_migrations').as('m')).selectAll().execute();
    expect(rows).toHaveLength(Object.keys(MIGRATIONS).length);
    await Promise.all([a.close(), b.close()]);
  }, 30_000);

  it('lets exactly one rotation through across two connection pools', async () => {
    const url = await newDatabase();
    const a = await openStore({ url, dataDir: '', poolSize: 10 });
    const b = await openStore({ url, dataDir: '', poolSize: 10 });
    await a.db
      .insertInto('tenants')
      .values({ name: 't', display_name: 'T', enabled_services: '[]', config: '{}' })
      .execute();
    const userId = crypto.randomUUID();
    await a.db
      .insertInto('users')
      .values({
        id: userId,
        tenant: 't',
        username: 'u',
        email: null,
        password_hash: 'x',
        roles: '[]',
        active: true,
        last_login_at: null,
      })
      .execute();
    const hasher = new SecretHasher(Buffer.alloc(32, 2));
    const options = { idleSeconds: 60, absoluteSeconds: 600 };
    const [ta, tb] = [new RefreshTokens(a.db, hasher, options), new RefreshTokens(b.db, hasher, options)];
    for (let round = 0; round < 5; round++) {
      const issued = await ta.issue(userId, 't');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? ta : tb).rotate(issued.token)));
      expect(results.filter((result) => result.ok)).toHaveLength(1);
    }
    await Promise.all([a.close(), b.close()]);
  }, 30_000);

  it('says which setting to check when it cannot connect, without the password', async () => {
    const error = await openStore({
      url: 'postgres://portico:hunter2@127.0.0.1:1/nothing',
      dataDir: '',
      poolSize: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toContain('cannot connect to PostgreSQL');
    expect((error as Error).message).not.toContain('hunter2');
    await expect(openStore({ url: 'mysql://x', dataDir: '', poolSize: 1 })).rejects.toThrow(/store.url/);
  });
});

describe('embedded store on disk', () => {
  it('keeps its data across a close and a reopen', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portico-store-'));
    const first = await openStore({ url: '', dataDir, poolSize: 1 });
    await first.db.insertInto('identity_settings').values({ key: 'kept', value: 'yes' }).execute();
    await first.close();
    const second = await openStore({ url: '', dataDir, poolSize: 1 });
    const row = await second.db
      .selectFrom('identity_settings')
      .selectAll()
      .where('key', '=', 'kept')
      .executeTakeFirst();
    expect(row?.value).toBe('yes');
    expect(second.location).toBe(join(dataDir, 'store'));
    await second.close();
  }, 60_000);
});

describe('portico migrate', () => {
  it.each(['pglite', 'postgres'] as const)(
    'brings a %s store to the latest schema, then says it is up to date',
    async (engine) => {
      const env: Record<string, string> =
        engine === 'pglite'
          ? { PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-migrate-')) }
          : { PORTICO_DATABASE_URL: await newDatabase() };
      const first = spawnNode([PORTICO_BIN, 'migrate'], env);
      expect(await first.exited).toBe(0);
      expect(first.lines.join('\n')).toMatch(new RegExp(`store ${engine} at .*: applied 0001-identity`));
      const second = spawnNode([PORTICO_BIN, 'migrate'], env);
      expect(await second.exited).toBe(0);
      expect(second.lines.join('\n')).toContain('already up to date');
    },
    60_000,
  );

  it('fails with a clear message for an unreachable database', async () => {
    const proc = spawnNode([PORTICO_BIN, 'migrate'], { PORTICO_DATABASE_URL: 'postgres://x:secret@127.0.0.1:1/db' });
    expect(await proc.exited).toBe(1);
    expect(proc.lines.join('\n')).toMatch(/cannot connect to PostgreSQL at postgres:\/\/x:\*\*\*@127\.0\.0\.1:1\/db/);
  }, 30_000);
});
