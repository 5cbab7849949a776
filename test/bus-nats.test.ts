/**
 * The NATS JetStream adapter against a real `nats-server -js` (test/support/nats.ts): the
 * NATS-specific guarantees — a SIGKILLed and restarted server loses no acknowledged publish, a
 * poison message goes to Portico's dead-letter stream after max-deliver while the group goes on —
 * plus the adapter's own paths (groups, fan-out, dedup, nack backoff, delayed, ordered, replay).
 */
import type { BusPort } from '@portico/sdk';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusMetrics } from '../packages/portico/src/bus/bus-metrics.js';
import { connectNatsBus } from '../packages/portico/src/bus/nats/nats-bus.js';
import { busContract } from './bus/contract.js';
import { type NatsServer, startNats } from './support/nats.js';

// The same contract suite as the embedded adapter, on its own nats-server.
let contractServer: NatsServer | undefined;
busContract('nats', async () => {
  contractServer = await startNats();
  const bus = await connectNatsBus({
    url: contractServer.url,
    retention: (topic) => (topic === 'retention.count' ? { maxMessages: 3 } : {}),
  });
  return {
    bus,
    async close() {
      await bus.close();
      await contractServer?.dispose();
    },
  };
});

let nats: NatsServer;
let bus: BusPort;

beforeAll(async () => {
  nats = await startNats();
  bus = await connectNatsBus({ url: nats.url, requestTimeoutMs: 2000 });
}, 30_000);

afterAll(async () => {
  await bus?.close();
  await nats?.dispose();
});

async function drain(consumer: Awaited<ReturnType<BusPort['consumer']>>, want: number, deadlineMs = 10_000) {
  const ids: string[] = [];
  const until = Date.now() + deadlineMs;
  while (ids.length < want && Date.now() < until) {
    for (const d of await consumer.fetch(100, 500)) {
      ids.push(d.message.id);
      await consumer.ack(d.token);
    }
  }
  return ids;
}

describe('NATS JetStream adapter', () => {
  it('publishes durably, dedups by id, fans out to groups and shares within one', async () => {
    const a1 = await bus.consumer('t1.orders', { group: 'a', start: { kind: 'all' } });
    const a2 = await bus.consumer('t1.orders', { group: 'a', start: { kind: 'all' } });
    const b = await bus.consumer('t1.orders', { group: 'b', start: { kind: 'all' } });
    const first = await bus.publish({ type: 't1.orders', id: 'm1', data: { n: 1 }, tenantId: 'ten1' });
    const again = await bus.publish({ type: 't1.orders', id: 'm1', data: { n: 1 }, tenantId: 'ten1' });
    expect(again).toEqual({ id: 'm1', sequence: first.sequence, duplicate: true });
    for (let i = 2; i <= 10; i++) await bus.publish({ type: 't1.orders', id: `m${i}`, data: { n: i } });
    const [x, y] = await Promise.all([drain(a1, 5, 3000), drain(a2, 5, 3000)]);
    expect(new Set([...x, ...y]).size).toBe(10);
    expect((await drain(b, 10)).sort()).toEqual([...Array(10)].map((_, i) => `m${i + 1}`).sort());
    const replay = await bus.read('t1.orders', { from: { kind: 'sequence', sequence: 2 }, limit: 3 });
    expect(replay.map((r) => r.message.id)).toEqual(['m2', 'm3', 'm4']);
    const tenant = await bus.read('t1.orders', { from: { kind: 'all' }, limit: 100, tenants: ['ten1'] });
    expect(tenant.map((r) => r.message.id)).toEqual(['m1']);
    await Promise.all([a1.close(), a2.close(), b.close()]);
  }, 30_000);

  it('a poison message goes to the dead-letter stream after max-deliver while the group continues', async () => {
    const consumer = await bus.consumer('t2.jobs', {
      group: 'workers',
      maxDeliver: 3,
      backoff: { initialMs: 50, factor: 2 },
      start: { kind: 'all' },
    });
    await bus.publish({ type: 't2.jobs', id: 'poison', data: {} });
    for (let i = 0; i < 5; i++) await bus.publish({ type: 't2.jobs', id: `ok${i}`, data: {} });
    const done: string[] = [];
    const attempts: number[] = [];
    const until = Date.now() + 15_000;
    while ((done.length < 5 || attempts.length < 3) && Date.now() < until) {
      for (const d of await consumer.fetch(10, 300)) {
        if (d.message.id === 'poison') {
          attempts.push(d.attempt);
          await consumer.nack(d.token, { error: `boom ${d.attempt}` });
        } else {
          done.push(d.message.id);
          await consumer.ack(d.token);
        }
      }
    }
    expect(done.sort()).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4']);
    expect(attempts).toEqual([1, 2, 3]);
    const dead = await bus.deadLetters({ topic: 't2.jobs', limit: 10 });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ group: 'workers', attempts: 3, error: 'boom 3', message: { id: 'poison' } });
    const info = (await bus.topics()).find((t) => t.topic === 't2.jobs');
    expect(info?.groups).toEqual([{ group: 'workers', pending: 0, inFlight: 0, lag: 0, deadLetters: 1 }]);
    // Redelivered to its group as a fresh delivery, then purged from nothing.
    expect(await bus.redeliver(dead[0]?.id as string)).toBe(true);
    expect(await drain(consumer, 1)).toEqual(['poison']);
    expect(await bus.deadLetters({ topic: 't2.jobs', limit: 10 })).toEqual([]);
    await consumer.close();
  }, 30_000);

  it('a delivery whose member died on its last attempt is dead-lettered by the next member', async () => {
    const dying = await bus.consumer('t3.jobs', { group: 'g', maxDeliver: 1, ackWaitMs: 300, start: { kind: 'all' } });
    await bus.publish({ type: 't3.jobs', id: 'held', data: {} });
    expect((await dying.fetch(1, 3000)).map((d) => d.message.id)).toEqual(['held']);
    // No ack, no nack: as if the member were SIGKILLed. A second member gets it after ack_wait.
    const next = await bus.consumer('t3.jobs', { group: 'g', maxDeliver: 1, ackWaitMs: 300 });
    const until = Date.now() + 5000;
    while (Date.now() < until && (await bus.deadLetters({ topic: 't3.jobs', limit: 5 })).length === 0) {
      expect(await next.fetch(1, 400)).toEqual([]);
    }
    const [dead] = await bus.deadLetters({ topic: 't3.jobs', limit: 5 });
    expect(dead?.message.id).toBe('held');
    expect(dead?.error).toMatch(/no answer within ackWaitMs/);
    await next.close();
  }, 30_000);

  it('nack waits its backoff; delayed messages wait their delay; ordered groups keep key order', async () => {
    const c = await bus.consumer('t4.x', { group: 'g', backoff: { initialMs: 400 }, start: { kind: 'all' } });
    await bus.publish({ type: 't4.x', id: 'n1', data: {} });
    const [d1] = await c.fetch(1, 3000);
    const nackedAt = Date.now();
    await c.nack(d1?.token as string);
    const [d2] = await c.fetch(1, 5000);
    expect(d2?.attempt).toBe(2);
    expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(350);
    await c.ack(d2?.token as string);
    const publishedAt = Date.now();
    await bus.publish({ type: 't4.x', id: 'later', data: {}, delayMs: 700 });
    expect(await c.fetch(1, 300)).toEqual([]);
    const [late] = await c.fetch(1, 5000);
    expect(late?.message.id).toBe('later');
    expect(late?.attempt).toBe(1);
    expect(Date.now() - publishedAt).toBeGreaterThanOrEqual(650);
    await c.ack(late?.token as string);
    await c.close();

    const o = await bus.consumer('t4.ordered', { group: 'o', ordered: true, start: { kind: 'all' } });
    for (let i = 0; i < 4; i++) await bus.publish({ type: 't4.ordered', id: `k${i}`, key: 'order-1', data: { i } });
    const first = await o.fetch(10, 3000);
    expect(first.map((d) => d.message.id)).toEqual(['k0']);
    await o.nack(first[0]?.token as string, { delayMs: 100 });
    const seen: string[] = [];
    while (seen.length < 4) {
      for (const d of await o.fetch(10, 3000)) {
        seen.push(d.message.id);
        await o.ack(d.token);
      }
    }
    expect(seen).toEqual(['k0', 'k1', 'k2', 'k3']);
    await o.close();
  }, 30_000);

  it('nats-server SIGKILLed and restarted mid-stream loses no acknowledged publish', async () => {
    const acked: string[] = [];
    let failed = 0;
    const publishing = (async () => {
      for (let i = 0; i < 400; i++) {
        try {
          await bus.publish({ type: 't5.chaos', id: `c${i}`, data: { i } });
          acked.push(`c${i}`);
        } catch {
          failed++;
        }
      }
    })();
    while (acked.length < 50) await new Promise((resolve) => setTimeout(resolve, 5));
    await nats.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await nats.restart();
    await publishing;
    expect(acked.length).toBeGreaterThan(50);
    const consumer = await bus.consumer('t5.chaos', { group: 'after', start: { kind: 'all' } });
    const got = new Set(await drain(consumer, acked.length, 20_000));
    expect(acked.filter((id) => !got.has(id))).toEqual([]);
    expect(acked.length + failed).toBe(400);
    await consumer.close();
  }, 60_000);
});

describe('NATS adapter metrics', () => {
  it('counts published, delivered, acked, retried and dead per topic and group; the gauges read the server at scrape time', async () => {
    const registry = new Registry();
    const metrics = new BusMetrics(registry);
    const metered = await connectNatsBus({ url: nats.url, metrics });
    metrics.watch(() => metered.topics());
    try {
      const c = await metered.consumer('m1.jobs', { group: 'g', maxDeliver: 2, start: { kind: 'all' } });
      for (let i = 0; i < 3; i++) await metered.publish({ type: 'm1.jobs', data: i });
      const got = await c.fetch(3, 2000);
      expect(got.length).toBe(3);
      await c.ack(got[0]?.token ?? '');
      await c.nack(got[1]?.token ?? '', { delayMs: 60000 });
      await c.reject(got[2]?.token ?? '', 'no');
      const text = await registry.metrics();
      expect(text).toContain('portico_bus_published_total{topic="m1.jobs"} 3');
      expect(text).toContain('portico_bus_deliveries_total{topic="m1.jobs",group="g",outcome="delivered"} 3');
      expect(text).toContain('portico_bus_deliveries_total{topic="m1.jobs",group="g",outcome="acked"} 1');
      expect(text).toContain('portico_bus_deliveries_total{topic="m1.jobs",group="g",outcome="retried"} 1');
      expect(text).toContain('portico_bus_deliveries_total{topic="m1.jobs",group="g",outcome="dead"} 1');
      expect(text).toContain('portico_bus_lag{topic="m1.jobs",group="g"} 1');
      expect(text).toContain('portico_bus_dead_letters{topic="m1.jobs",group="g"} 1');
    } finally {
      await metered.close();
    }
  });
});
