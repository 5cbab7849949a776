/**
 * The config center's store adapters against real engines: the SQL adapter on PGlite and on a
 * real PostgreSQL server (migration 0004), and the memory adapter, through the same port:
 * revisions, compare-and-set under concurrent writers, the size limit, the change log a watch
 * resumes from, and a failing `alongside` (the audit record) undoing its write.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigStorePort } from '../packages/portico/src/config-center/config-store-port.js';
import { MemoryConfigStore } from '../packages/portico/src/config-center/memory-config-store.js';
import { SqlConfigStore } from '../packages/portico/src/config-center/sql-config-store.js';
import type { Store } from '../packages/portico/src/store/store.js';
import { freshStore, stopPostgres } from './support/identity.js';

afterAll(stopPostgres);

const actor = { actor: 'tester' };

describe.each(['pglite', 'postgres', 'memory'] as const)('config store on %s', (engine) => {
  let store: Store | undefined;
  let configs: ConfigStorePort;

  it('opens, with the tenants the entries belong to', async () => {
    if (engine === 'memory') {
      configs = new MemoryConfigStore(3);
      return;
    }
    store = await freshStore(engine);
    // Entries reference tenants (deleting a tenant deletes its config).
    const db = store.db as never as import('kysely').Kysely<{ tenants: { name: string; display_name: string } }>;
    await db
      .insertInto('tenants')
      .values([
        { name: 'acme', display_name: 'Acme' },
        { name: 'globex', display_name: 'Globex' },
      ])
      .execute();
    configs = new SqlConfigStore(store.db as never);
  });

  afterAll(async () => {
    await configs?.close();
    await store?.close();
  });

  it('gives each write the next revision and keeps tenants apart', async () => {
    expect(await configs.latestRevision()).toBe(0);
    const a = await configs.write('acme', 'orders', { kind: 'put', values: { theme: 'dark' } }, actor);
    const b = await configs.write('globex', 'orders', { kind: 'put', values: { theme: 'light' } }, actor);
    const c = await configs.write(
      'acme',
      'orders',
      { kind: 'patch', patch: { seats: 3 } },
      { ...actor, ifRevision: a.revision },
    );
    expect([a.revision, b.revision, c.revision]).toEqual([1, 2, 3]);
    expect((await configs.get('acme', 'orders'))?.values).toEqual({ theme: 'dark', seats: 3 });
    expect((await configs.get('globex', 'orders'))?.values).toEqual({ theme: 'light' });
    expect((await configs.list('acme')).map((entry) => [entry.service, entry.revision])).toEqual([['orders', 3]]);
    expect(await configs.get('acme', 'billing')).toBeUndefined();
  });

  it('refuses a stale If-Match, a delete of nothing and an entry past the size limit', async () => {
    await expect(
      configs.write('acme', 'orders', { kind: 'put', values: {} }, { ...actor, ifRevision: 1 }),
    ).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', details: { revision: 3 } });
    await expect(configs.write('acme', 'nothing', { kind: 'delete' }, actor)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      configs.write('acme', 'orders', { kind: 'patch', patch: { blob: 'x'.repeat(300) } }, { ...actor, maxBytes: 256 }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((await configs.get('acme', 'orders'))?.revision).toBe(3);
    expect(await configs.latestRevision()).toBe(3);
  });

  it('lets exactly one of concurrent writers holding the same revision win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        configs.write('acme', 'orders', { kind: 'patch', patch: { writer: i } }, { ...actor, ifRevision: 3 }),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'PRECONDITION_FAILED' });
    }
    expect((await configs.get('acme', 'orders'))?.revision).toBe(4);
  });

  it('undoes a write whose audit record fails', async () => {
    // The SQL adapter rolls its transaction back; the memory adapter changes nothing before `alongside` succeeded.
    await expect(
      configs.write(
        'acme',
        'orders',
        { kind: 'put', values: { lost: true } },
        {
          ...actor,
          alongside: async () => {
            throw new Error('audit down');
          },
        },
      ),
    ).rejects.toThrow('audit down');
    expect((await configs.get('acme', 'orders'))?.values.lost).toBeUndefined();
    expect((await configs.changesAfter('acme', 4, 10)).map((change) => change.values.lost)).toEqual([]);
  });

  it('logs every change for a watch to resume from, and says when it cannot', async () => {
    await configs.write('acme', 'orders', { kind: 'delete' }, actor);
    const latest = await configs.latestRevision();
    const changes = await configs.changesAfter('acme', 3, 10);
    expect(changes.map((change) => change.kind)).toEqual(['put', 'deleted']);
    expect(changes.at(-1)).toMatchObject({ tenant: 'acme', service: 'orders', values: {}, revision: latest });
    // The memory adapter keeps 3 changes here: globex's one (revision 2) is gone, and so is revision 1.
    expect(await configs.changesAfter('globex', 0, 10)).toHaveLength(engine === 'memory' ? 0 : 1);
    expect(await configs.canResume(latest)).toBe(true);
    expect(await configs.canResume(latest + 1)).toBe(false);
    expect(await configs.canResume(1)).toBe(engine !== 'memory');
  });
});
