import { randomUUID } from 'node:crypto';
import type { BusConsumer, BusPort, Delivery } from '@portico/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busAdminContract } from './admin-contract.js';

/**
 * A bus under test; `sweep` runs retention now where the adapter has a sweeper. The adapter must
 * be configured with retention `maxMessages: 3` for the topic `retention.count`.
 */
export interface BusUnderTest {
  bus: BusPort;
  close(): Promise<void>;
  sweep?(): Promise<unknown>;
}

/** Drains a consumer until `count` deliveries came or `ms` passed (bounded loop). */
export async function drain(consumer: BusConsumer, count: number, ms = 5000, ack = true): Promise<Delivery[]> {
  const got: Delivery[] = [];
  const deadline = Date.now() + ms;
  while (got.length < count && Date.now() < deadline) {
    for (const d of await consumer.fetch(count - got.length, Math.min(500, deadline - Date.now()))) {
      got.push(d);
      if (ack) await consumer.ack(d.token);
    }
  }
  return got;
}

/**
 * The ONE contract every bus adapter runs, written only against `BusPort`. Each case uses its
 * own topic, so cases never see each other's messages.
 *
 * @example
 * ```ts
 * busContract('embedded (pglite)', async () => { const bus = ...; return { bus, close: () => bus.close() }; });
 * ```
 */
export function busContract(name: string, makeBus: () => Promise<BusUnderTest>): void {
  describe(`bus contract: ${name}`, () => {
    let t: BusUnderTest;
    const topic = (): string => `t.${randomUUID().slice(0, 8)}`;
    beforeAll(async () => {
      t = await makeBus();
    }, 60000);
    afterAll(async () => {
      await t?.close();
    });

    it('publish returns a receipt with a sequence, and the envelope is completed', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g' });
      const r = await t.bus.publish({ type: tp, tenantId: 't1', data: { n: 1 }, traceparent: '00-abc-def-01' });
      expect(r.duplicate).toBe(false);
      expect(r.sequence).toBeGreaterThan(0);
      const [d] = await drain(c, 1);
      expect(d?.message).toMatchObject({ id: r.id, type: tp, tenantId: 't1', data: { n: 1 } });
      expect(d?.message.traceparent).toBe('00-abc-def-01');
      expect(Number.isNaN(Date.parse(d?.message.timestamp ?? ''))).toBe(false);
      expect(d?.attempt).toBe(1);
    });

    it('competing consumers in a group split the messages; every group gets every message', async () => {
      const tp = topic();
      const a = await t.bus.consumer(tp, { group: 'work' });
      const b = await t.bus.consumer(tp, { group: 'work' });
      const other = await t.bus.consumer(tp, { group: 'audit' });
      for (let i = 0; i < 20; i++) await t.bus.publish({ type: tp, data: i });
      const first = await a.fetch(10, 1000);
      const second = await drain(b, 10);
      for (const d of first) await a.ack(d.token);
      const ids = new Set([...first, ...second].map((d) => d.message.id));
      expect(first.length).toBe(10);
      expect(ids.size).toBe(20);
      expect((await drain(other, 20)).length).toBe(20);
    });

    it('at-least-once: a fetched message not acked comes back after ack-wait, attempt counts', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g', ackWaitMs: 300 });
      await t.bus.publish({ type: tp, data: 1 });
      const [first] = await c.fetch(1, 2000);
      expect(first?.attempt).toBe(1);
      expect(await c.fetch(1, 100)).toEqual([]);
      const [again] = await drain(c, 1, 3000);
      expect(again?.message.id).toBe(first?.message.id);
      expect(again?.attempt).toBe(2);
    });

    it('nack with a delay redelivers after the delay', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g' });
      await t.bus.publish({ type: tp, data: 1 });
      const [d] = await c.fetch(1, 2000);
      const at = Date.now();
      await c.nack(d?.token ?? '', { delayMs: 400 });
      const [again] = await drain(c, 1, 3000);
      expect(Date.now() - at).toBeGreaterThanOrEqual(350);
      expect(again?.attempt).toBe(2);
    });

    it('retries wait an exponential backoff, then max-deliver dead-letters with the last error; the group continues', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, {
        group: 'g',
        maxDeliver: 3,
        backoff: { initialMs: 100, factor: 2, maxMs: 1000 },
      });
      const poison = await t.bus.publish({ type: tp, data: 'poison' });
      const times: number[] = [];
      const deadline = Date.now() + 5000;
      while (times.length < 3 && Date.now() < deadline) {
        for (const d of await c.fetch(1, 500)) {
          times.push(Date.now());
          await c.nack(d.token, { error: `fail ${d.attempt}` });
        }
      }
      expect(times.length).toBe(3);
      expect((times[2] ?? 0) - (times[1] ?? 0)).toBeGreaterThanOrEqual(150);
      await t.bus.publish({ type: tp, data: 'good' });
      const [good] = await drain(c, 1);
      expect(good?.message.data).toBe('good');
      const dead = await t.bus.deadLetters({ topic: tp, limit: 10 });
      expect(dead.map((x) => [x.message.id, x.attempts, x.error, x.group])).toEqual([[poison.id, 3, 'fail 3', 'g']]);
    });

    it('reject dead-letters at once; redeliver puts it back; purge removes', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g' });
      await t.bus.publish({ type: tp, data: 1 });
      const [d] = await c.fetch(1, 2000);
      await c.reject(d?.token ?? '', 'cannot parse');
      const [dl] = await t.bus.deadLetters({ topic: tp, limit: 10 });
      expect(dl?.error).toBe('cannot parse');
      expect(dl?.attempts).toBe(1);
      expect(await t.bus.redeliver(dl?.id ?? '')).toBe(true);
      expect(await t.bus.redeliver(dl?.id ?? '')).toBe(false);
      const [back] = await c.fetch(1, 2000);
      expect(back?.message.id).toBe(d?.message.id);
      await c.reject(back?.token ?? '', 'again');
      expect(await t.bus.purgeDeadLetters({ topic: tp })).toBe(1);
      expect(await t.bus.deadLetters({ topic: tp, limit: 10 })).toEqual([]);
    });

    it('dedup: a publish with an id already seen is a duplicate and is not delivered twice', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g' });
      const id = randomUUID();
      const r1 = await t.bus.publish({ type: tp, id, data: 1 });
      const r2 = await t.bus.publish({ type: tp, id, data: 1 });
      expect(r2).toEqual({ id, sequence: r1.sequence, duplicate: true });
      expect((await drain(c, 2, 800)).length).toBe(1);
    });

    it('per-key ordering: never two in flight of one key, in sequence order', async () => {
      const tp = topic();
      const a = await t.bus.consumer(tp, { group: 'g', ordered: true });
      for (let i = 0; i < 3; i++) await t.bus.publish({ type: tp, key: 'o1', data: i });
      await t.bus.publish({ type: tp, key: 'o2', data: 'x' });
      const batch = await a.fetch(10, 1000);
      expect(batch.map((d) => d.message.data)).toEqual([0, 'x']);
      await a.nack(batch[0]?.token ?? '', { delayMs: 200 });
      await a.ack(batch[1]?.token ?? '');
      const order: unknown[] = [];
      const deadline = Date.now() + 4000;
      while (order.length < 3 && Date.now() < deadline) {
        const got = await a.fetch(10, 500);
        expect(got.length).toBeLessThanOrEqual(1);
        for (const d of got) {
          order.push(d.message.data);
          await a.ack(d.token);
        }
      }
      expect(order).toEqual([0, 1, 2]);
    });

    it('delayed messages are not delivered before their delay', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g' });
      const at = Date.now();
      await t.bus.publish({ type: tp, data: 1, delayMs: 500 });
      expect(await c.fetch(1, 100)).toEqual([]);
      const [d] = await drain(c, 1, 3000);
      expect(d).toBeDefined();
      expect(Date.now() - at).toBeGreaterThanOrEqual(450);
    });

    it('replay: read from a sequence or a time; a new group can start from a sequence', async () => {
      const tp = topic();
      const receipts = [];
      for (let i = 0; i < 5; i++) receipts.push(await t.bus.publish({ type: tp, data: i }));
      const from = receipts[2]?.sequence ?? 0;
      const read = await t.bus.read(tp, { from: { kind: 'sequence', sequence: from }, limit: 10 });
      expect(read.map((r) => r.message.data)).toEqual([2, 3, 4]);
      const all = await t.bus.read(tp, {
        from: { kind: 'time', time: new Date(Date.now() - 60000).toISOString() },
        limit: 10,
      });
      expect(all.length).toBe(5);
      const late = await t.bus.consumer(tp, { group: 'late', start: { kind: 'sequence', sequence: from } });
      expect((await drain(late, 3)).map((d) => d.message.data)).toEqual([2, 3, 4]);
      const fresh = await t.bus.consumer(tp, { group: 'fresh' });
      expect(await fresh.fetch(5, 100)).toEqual([]);
    });

    it('a new group can start from a time: it gets what was published since', async () => {
      const tp = topic();
      await t.bus.publish({ type: tp, data: 'before' });
      await new Promise((r) => setTimeout(r, 50));
      const since = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 50));
      await t.bus.publish({ type: tp, data: 'after' });
      const c = await t.bus.consumer(tp, { group: 'g', start: { kind: 'time', time: since } });
      expect((await drain(c, 2, 800)).map((d) => d.message.data)).toEqual(['after']);
    });

    it('tenants filter: a group limited to tenants gets only theirs', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g', tenants: ['a'] });
      await t.bus.publish({ type: tp, tenantId: 'b', data: 'b' });
      await t.bus.publish({ type: tp, tenantId: 'a', data: 'a' });
      expect((await drain(c, 2, 800)).map((d) => d.message.data)).toEqual(['a']);
    });

    it('bounded fetch: a fetch never returns more than max (backpressure)', async () => {
      const tp = topic();
      const c = await t.bus.consumer(tp, { group: 'g' });
      for (let i = 0; i < 30; i++) await t.bus.publish({ type: tp, data: i });
      expect((await c.fetch(7, 1000)).length).toBe(7);
      const info = (await t.bus.topics()).find((x) => x.topic === tp);
      expect(info?.messages).toBe(30);
      expect(info?.groups[0]).toMatchObject({ group: 'g', inFlight: 7, pending: 23 });
    });

    it('a closed consumer gives its unacked deliveries back to the group', async () => {
      const tp = topic();
      const a = await t.bus.consumer(tp, { group: 'g', ackWaitMs: 60000 });
      const b = await t.bus.consumer(tp, { group: 'g', ackWaitMs: 60000 });
      await t.bus.publish({ type: tp, data: 1 });
      expect((await a.fetch(1, 2000)).length).toBe(1);
      await a.close();
      expect((await drain(b, 1, 2000)).length).toBe(1);
    });

    it('retention bounds a topic by count (the adapter is configured with maxMessages 3 for retention.count)', async () => {
      const tp = 'retention.count';
      for (let i = 0; i < 5; i++) await t.bus.publish({ type: tp, data: i });
      await t.sweep?.();
      const left = await t.bus.read(tp, { from: { kind: 'all' }, limit: 10 });
      expect(left.map((r) => r.message.data)).toEqual([2, 3, 4]);
    });

    busAdminContract(() => t.bus);
  });
}
