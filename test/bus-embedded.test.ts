import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BusConsumer } from '@portico/sdk';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { BusMetrics } from '../packages/portico/src/bus/bus-metrics.js';
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

describe('embedded bus metrics', () => {
  it('counts published, delivered, acked, dead per topic and group, and the lag gauge', async () => {
    const registry = new Registry();
    const store = await freshStore('pglite');
    const metrics = new BusMetrics(registry);
    const bus = new EmbeddedBus(store.db, { retention, sweepMs: 0, metrics });
    metrics.watch(() => bus.topics());
    try {
      const c = await bus.consumer('m.t', { group: 'g', maxDeliver: 1 });
      for (let i = 0; i < 3; i++) await bus.publish({ type: 'm.t', data: i });
      const [a, b] = await c.fetch(2, 1000);
      await c.ack(a?.token ?? '');
      await c.nack(b?.token ?? '', { error: 'boom' });
      // The gauges read the bus at scrape time: nothing else refreshes them.
      const text = await registry.metrics();
      expect(text).toContain('portico_bus_published_total{topic="m.t"} 3');
      expect(text).toContain('portico_bus_deliveries_total{topic="m.t",group="g",outcome="delivered"} 2');
      expect(text).toContain('portico_bus_deliveries_total{topic="m.t",group="g",outcome="acked"} 1');
      expect(text).toContain('portico_bus_deliveries_total{topic="m.t",group="g",outcome="dead"} 1');
      expect(text).toContain('portico_bus_lag{topic="m.t",group="g"} 1');
      expect(text).toContain('portico_bus_dead_letters{topic="m.t",group="g"} 1');
      expect(text).toContain('portico_bus_in_flight{topic="m.t",group="g"} 0');
    } finally {
      await bus.close();
      await store.close();
    }
  });
});

describe('embedded bus on PostgreSQL: wake-up across processes (LISTEN/NOTIFY)', () => {
  const noRetention = { defaults: {}, topics: {}, dedupWindowMs: 120000 };

  /** Two buses with their own pools on one database (as two processes have); B waits in a fetch. */
  async function pair(listenInB: boolean) {
    server ??= await startPostgres();
    const url = await server.createDatabase(`bus_wake_${listenInB ? 'on' : 'off'}_${process.pid}`);
    const storeA = await openStore({ url, dataDir: '', poolSize: 2 });
    const storeB = await openStore({ url, dataDir: '', poolSize: 2 });
    const a = new EmbeddedBus(storeA.db, { retention: noRetention, sweepMs: 0, pollMs: 5000, listen: storeA.listen });
    const b = new EmbeddedBus(storeB.db, {
      retention: noRetention,
      sweepMs: 0,
      pollMs: 5000,
      ...(listenInB ? { listen: storeB.listen } : {}),
    });
    return {
      a,
      b,
      storeB,
      async close() {
        await a.close();
        await b.close();
        await storeA.close();
        await storeB.close();
      },
    };
  }

  /** Starts a fetch in B, publishes in A once it waits, and says what came and when. */
  async function publishWhileWaiting(a: EmbeddedBus, consumer: BusConsumer, topic: string, waitMs: number) {
    const fetching = consumer.fetch(1, waitMs);
    await new Promise((resolve) => setTimeout(resolve, 300)); // B has looked once and now waits
    const at = Date.now();
    const receipt = await a.publish({ type: topic, data: 'wake' });
    const got = await fetching;
    return { got, receipt, afterMs: Date.now() - at };
  }

  it('a fetch waiting in B wakes when A publishes, well before pollMs (5 s); one listener survives a dropped connection', async () => {
    const { a, b, storeB, close } = await pair(true);
    try {
      const topic = `wake.${randomUUID().slice(0, 8)}`;
      const consumer = await b.consumer(topic, { group: 'g' });
      const first = await publishWhileWaiting(a, consumer, topic, 8000);
      expect(first.got.map((d) => d.message.id)).toEqual([first.receipt.id]);
      expect(first.afterMs).toBeLessThan(2000);
      await consumer.ack(first.got[0]?.token ?? '');

      // One listening connection per bus, however many consumers it has.
      await b.consumer(topic, { group: 'other' });
      const listeners = async () =>
        Number(
          (
            await sql<{ n: string }>`select count(*) as n from pg_stat_activity
              where datname = current_database() and query ilike 'LISTEN%'`.execute(storeB.db)
          ).rows[0]?.n,
        );
      expect(await listeners()).toBe(1);

      // The server drops B's listening connection: it comes back by itself and wakes fetches again.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and query ilike 'LISTEN%'`.execute(storeB.db);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await listeners()) !== 1) await new Promise((r) => setTimeout(r, 100));
      expect(await listeners()).toBe(1);
      const second = await publishWhileWaiting(a, consumer, topic, 8000);
      expect(second.got.map((d) => d.message.id)).toEqual([second.receipt.id]);
      expect(second.afterMs).toBeLessThan(2000);
    } finally {
      await close();
    }
  }, 60_000);

  it('without the listener, B finds the message only at its next poll (the fallback)', async () => {
    const { a, b, close } = await pair(false);
    try {
      const topic = `wake.${randomUUID().slice(0, 8)}`;
      const consumer = await b.consumer(topic, { group: 'g' });
      // Nothing wakes B: its fetch sleeps to its end (1.5 s, the poll is 5 s away) and finds the
      // message in its last look, ~1.2 s after the publish.
      const { got, afterMs } = await publishWhileWaiting(a, consumer, topic, 1500);
      expect(got.length).toBe(1);
      expect(afterMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await close();
    }
  }, 60_000);
});
