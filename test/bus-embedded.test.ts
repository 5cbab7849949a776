import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../packages/portico/src/bus/embedded/embedded-bus.js';
import { openStore } from '../packages/portico/src/store/index.js';
import { busContract, drain } from './bus/contract.js';
import { freshStore, stopPostgres } from './support/identity.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { ROOT, spawnNode } from './support/processes.js';

const retention = { defaults: {}, topics: { 'retention.count': { maxMessages: 3 } }, dedupWindowMs: 120000 };

for (const engine of ['pglite', 'postgres'] as const) {
  busContract(`embedded (${engine})`, async () => {
    const store = await freshStore(engine);
    const bus = new EmbeddedBus(store.db, { retention, sweepMs: 0, pollMs: 50 });
    return {
      bus,
      sweep: () => bus.sweep(),
      async close() {
        await bus.close();
        await store.close();
      },
    };
  });
}

afterAll(async () => {
  await stopPostgres();
  await server?.stop();
});

// The SIGKILL case is on PostgreSQL only: PGlite is one process's database, so no second process can share its bus.
let server: PostgresServer | undefined;

describe('embedded bus on PostgreSQL: a member SIGKILLed mid-batch', () => {
  it('loses nothing: its messages are redelivered to the remaining member after ack-wait', async () => {
    server = await startPostgres();
    const url = await server.createDatabase(`bus_crash_${process.pid}`);
    const store = await openStore({ url, dataDir: '', poolSize: 5 });
    const bus = new EmbeddedBus(store.db, {
      retention: { defaults: {}, topics: {}, dedupWindowMs: 120000 },
      sweepMs: 0,
      pollMs: 50,
    });
    try {
      const topic = `crash.${randomUUID().slice(0, 8)}`;
      const survivor = await bus.consumer(topic, { group: 'work', ackWaitMs: 1000 });
      const published = new Set<string>();
      for (let i = 0; i < 50; i++) published.add((await bus.publish({ type: topic, data: i })).id);

      const child = spawnNode([join(ROOT, 'test/bus/crash-consumer.mjs')], {
        BUS_DATABASE_URL: url,
        BUS_TOPIC: topic,
        BUS_BATCH: '20',
        BUS_ACK_WAIT_MS: '1000',
      });
      const line = await child.waitForLine(/^fetched /, 30_000);
      const held = JSON.parse(line.slice('fetched '.length)) as string[];
      expect(held.length).toBe(20);
      expect(await child.stop('SIGKILL')).toBe(-1);

      // Every message reaches the survivor: the 30 never fetched at once, the 20 held after ack-wait.
      const got = await drain(survivor, 50, 15_000);
      const ids = new Set(got.map((d) => d.message.id));
      expect(ids).toEqual(published);
      const redelivered = got.filter((d) => held.includes(d.message.id));
      expect(redelivered.length).toBe(20);
      for (const d of redelivered) expect(d.attempt).toBe(2);
      expect(await survivor.fetch(10, 300)).toEqual([]);
    } finally {
      await bus.close();
      await store.close();
    }
  }, 60_000);
});
