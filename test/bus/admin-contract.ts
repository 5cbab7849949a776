import { randomUUID } from 'node:crypto';
import type { BusAdminPort, BusPort, GroupInfo } from '@portico/sdk';
import { expect, it } from 'vitest';

/** Polls `read` until `check` passes or `ms` ran out (bounded), then asserts once more. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => void, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The admin half of the contract (`BusAdminPort`), run inside `busContract` on the same bus:
 * lag per group, dead letters scoped by tenant, redelivery to one group, purges.
 *
 * @example
 * ```ts
 * busAdminContract(() => t.bus);
 * ```
 */
export function busAdminContract(getBus: () => BusPort): void {
  const topic = (): string => `adm.${randomUUID().slice(0, 8)}`;
  const admin = (): BusPort & BusAdminPort => {
    const bus = getBus() as BusPort & Partial<BusAdminPort>;
    expect(typeof bus.topicInfo).toBe('function');
    return bus as BusPort & BusAdminPort;
  };
  const group = async (tp: string, name: string): Promise<GroupInfo | undefined> =>
    (await admin().topicInfo(tp))?.groups.find((g) => g.group === name);

  it('admin: topic figures, and a group lag that goes down as the group acks', async () => {
    const bus = admin();
    const tp = topic();
    const c = await bus.consumer(tp, { group: 'g' });
    const receipts = [];
    for (let i = 0; i < 5; i++) receipts.push(await bus.publish({ type: tp, data: i }));
    const info = await bus.topicInfo(tp);
    expect(info).toMatchObject({ topic: tp, messages: 5, lastSequence: receipts[4]?.sequence });
    expect(info?.bytes).toBeGreaterThan(0);
    expect(info?.firstSequence).toBe(receipts[0]?.sequence);
    expect(info?.retention).toBeDefined();
    await eventually(
      () => group(tp, 'g'),
      (g) => expect(g).toMatchObject({ lag: 5, inFlight: 0, pending: 5 }),
    );
    const batch = await c.fetch(2, 2000);
    expect(batch.length).toBe(2);
    await eventually(
      () => group(tp, 'g'),
      (g) => expect(g).toMatchObject({ lag: 5, inFlight: 2, pending: 3 }),
    );
    for (const d of batch) await c.ack(d.token);
    await eventually(
      () => group(tp, 'g'),
      (g) => expect(g).toMatchObject({ lag: 3, inFlight: 0 }),
    );
    let left = 3;
    const deadline = Date.now() + 5000;
    while (left > 0 && Date.now() < deadline) {
      for (const d of await c.fetch(left, 500)) {
        await c.ack(d.token);
        left--;
      }
    }
    await eventually(
      () => group(tp, 'g'),
      (g) => expect(g).toMatchObject({ lag: 0, pending: 0, inFlight: 0 }),
    );
  });

  it('admin: an unknown topic has no info; a bad name is refused', async () => {
    const bus = admin();
    expect(await bus.topicInfo(topic())).toBeUndefined();
    // The adapters throw a BusError with this code; over HTTP it is a PorticoError VALIDATION_ERROR
    // carrying it in details.code. Either way the bus's code must be BUS_INPUT_INVALID.
    const refused = await bus.topicInfo('bad topic').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(busCodeOf(refused)).toBe('BUS_INPUT_INVALID');
    if ((refused as { code?: unknown }).code !== 'BUS_INPUT_INVALID') {
      expect(refused).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    }
  });

  it('admin: a dead letter appears (scoped by tenant), redelivers to its group only and is consumed', async () => {
    const bus = admin();
    const tp = topic();
    const c = await bus.consumer(tp, { group: 'g' });
    const other = await bus.consumer(tp, { group: 'audit' });
    const sent = await bus.publish({ type: tp, tenantId: 'ta', data: 'x' });
    const [d] = await c.fetch(1, 2000);
    await c.reject(d?.token ?? '', 'bad payload');
    const [seen] = await other.fetch(1, 2000);
    await other.ack(seen?.token ?? '');
    const [dl] = await bus.listDeadLetters({ topic: tp, limit: 10 });
    expect(dl).toMatchObject({ topic: tp, group: 'g', attempts: 1, error: 'bad payload', message: { id: sent.id } });
    expect(await bus.listDeadLetters({ topic: tp, tenant: 'tb', limit: 10 })).toEqual([]);
    expect((await bus.listDeadLetters({ topic: tp, tenant: 'ta', limit: 10 })).map((x) => x.id)).toEqual([dl?.id]);
    expect((await bus.listDeadLetters({ topic: tp, id: dl?.id ?? '', limit: 1 })).length).toBe(1);
    expect(await bus.listDeadLetters({ topic: tp, group: 'audit', limit: 10 })).toEqual([]);
    await eventually(
      () => group(tp, 'g'),
      (g) => expect(g?.deadLetters).toBe(1),
    );
    expect(await bus.redeliverDeadLetters({ topic: tp, tenant: 'tb' })).toBe(0);
    expect(await bus.redeliverDeadLetters({ topic: tp, group: 'g' })).toBe(1);
    expect(await bus.listDeadLetters({ topic: tp, limit: 10 })).toEqual([]);
    const [back] = await c.fetch(1, 3000);
    expect(back?.message.id).toBe(sent.id);
    await c.ack(back?.token ?? '');
    // Redelivery is for the group that gave up: the other group does not get the message again.
    expect(await other.fetch(1, 500)).toEqual([]);
  });

  it('admin: redeliver all brings every dead letter back; purge empties dead letters and the topic', async () => {
    const bus = admin();
    const tp = topic();
    const c = await bus.consumer(tp, { group: 'g', ackWaitMs: 60000 });
    for (let i = 0; i < 3; i++) await bus.publish({ type: tp, tenantId: i === 0 ? 'ta' : 'tb', data: i });
    for (const d of await drainRaw(c, 3)) await c.reject(d.token, `no ${String(d.message.data)}`);
    expect((await bus.listDeadLetters({ topic: tp, limit: 10 })).length).toBe(3);
    expect((await bus.listDeadLetters({ topic: tp, limit: 2 })).length).toBe(2);
    const [first] = await bus.listDeadLetters({ topic: tp, limit: 1 });
    expect((await bus.listDeadLetters({ topic: tp, limit: 10, after: first?.id ?? '' })).length).toBe(2);
    expect(await bus.redeliverDeadLetters({ topic: tp })).toBe(3);
    const again = await drainRaw(c, 3);
    expect(again.length).toBe(3);
    for (const d of again) await c.reject(d.token, 'still bad');
    expect(await bus.removeDeadLetters({ topic: tp, tenant: 'ta' })).toBe(1);
    expect(await bus.removeDeadLetters({ topic: tp })).toBe(2);
    expect(await bus.listDeadLetters({ topic: tp, limit: 10 })).toEqual([]);
    for (let i = 0; i < 4; i++) await bus.publish({ type: tp, data: i });
    expect(await bus.purgeTopic(tp)).toBeGreaterThanOrEqual(4);
    await eventually(
      () => bus.topicInfo(tp),
      (info) => {
        expect(info?.messages).toBe(0);
        expect(info?.groups.find((g) => g.group === 'g')?.lag).toBe(0);
      },
    );
    expect(await bus.read(tp, { from: { kind: 'all' }, limit: 10 })).toEqual([]);
    expect(await c.fetch(1, 300)).toEqual([]);
    // The group goes on after a purge: a new message reaches it.
    await bus.publish({ type: tp, data: 'after' });
    expect((await drainRaw(c, 1)).map((d) => d.message.data)).toEqual(['after']);
  });
}

/** The bus's own code of an error: `code` of a BusError, `details.code` of a PorticoError rebuilt from HTTP. */
function busCodeOf(error: unknown): unknown {
  const e = error as { code?: unknown; details?: { code?: unknown } } | undefined;
  return e?.details?.code ?? e?.code;
}

/** Fetches until `count` deliveries came (no ack), bounded by time. */
async function drainRaw(consumer: Awaited<ReturnType<BusPort['consumer']>>, count: number, ms = 5000) {
  const got = [];
  const deadline = Date.now() + ms;
  while (got.length < count && Date.now() < deadline) got.push(...(await consumer.fetch(count - got.length, 500)));
  return got;
}
