import { describe, expect, it } from 'vitest';
import { PorticoError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import type { BusConsumer, Delivery } from './bus-types.js';
import { ProcessedWindow } from './processed-window.js';
import { type BusEvent, runSubscription } from './subscription.js';

/**
 * A fake in-memory BusConsumer for unit tests of the SDK's subscribe loop only (STYLE.md, habit
 * 8): the real adapters are tested against the embedded bus and nats-server in test/bus-*.test.ts.
 * It records every call so the tests can check what the loop asked of the bus.
 */
class FakeConsumer implements BusConsumer<{ n: number }> {
  queue: Delivery<{ n: number }>[] = [];
  acked: string[] = [];
  nacked: { token: string; delayMs?: number; error?: string }[] = [];
  rejected: { token: string; error: string }[] = [];
  fetchMax: number[] = [];
  closed = false;
  #seq = 0;

  push(id: string, attempt = 1): void {
    this.#seq += 1;
    const message = { id, type: 't', timestamp: new Date().toISOString(), tenantId: null, data: { n: this.#seq } };
    this.queue.push({ message, topic: 't', sequence: this.#seq, attempt, token: `tok-${this.#seq}` });
  }
  async fetch(max: number, waitMs: number) {
    this.fetchMax.push(max);
    if (this.queue.length === 0) await new Promise((r) => setTimeout(r, Math.min(waitMs, 20)));
    return this.queue.splice(0, max);
  }
  async ack(token: string) {
    this.acked.push(token);
  }
  async nack(token: string, options: { delayMs?: number; error?: string } = {}) {
    this.nacked.push({ token, ...options });
  }
  async reject(token: string, error: string) {
    this.rejected.push({ token, error });
  }
  async close() {
    this.closed = true;
  }
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('runSubscription', () => {
  it('acks handled deliveries and never fetches more than the free concurrency', async () => {
    const c = new FakeConsumer();
    for (let i = 0; i < 7; i++) c.push(`m${i}`);
    let running = 0;
    let peak = 0;
    const sub = runSubscription(
      c,
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
      },
      { topic: 't', group: 'g', concurrency: 3, fetchWaitMs: 10 },
    );
    await until(() => c.acked.length === 7);
    await sub.drain(1000);
    expect(peak).toBeLessThanOrEqual(3);
    expect(Math.max(...c.fetchMax)).toBeLessThanOrEqual(3);
    expect(c.closed).toBe(true);
  });

  it('nacks with the backoff of the attempt on a throw, rejects a non-retryable PorticoError', async () => {
    const c = new FakeConsumer();
    c.push('retry-me', 3);
    c.push('poison');
    const events: BusEvent[] = [];
    const sub = runSubscription(
      c,
      (m) => {
        if (m.id === 'poison') throw new PorticoError('VALIDATION_ERROR', 'bad order');
        throw new Error('db down');
      },
      { topic: 't', group: 'g', concurrency: 2, backoff: { initialMs: 100 }, onEvent: (e) => events.push(e) },
    );
    await until(() => c.nacked.length === 1 && c.rejected.length === 1);
    await sub.drain(1000);
    expect(c.nacked[0]).toEqual({ token: 'tok-1', delayMs: 400, error: 'db down' });
    expect(c.rejected[0]).toEqual({ token: 'tok-2', error: 'bad order' });
    expect(events.map((e) => e.kind).sort()).toEqual(['dead-lettered', 'delivered', 'delivered', 'retried']);
  });

  it('acks a duplicate id without calling the handler again', async () => {
    const c = new FakeConsumer();
    const seen: string[] = [];
    const sub = runSubscription(c, (m) => void seen.push(m.id), { topic: 't', group: 'g', fetchWaitMs: 10 });
    c.push('same');
    await until(() => c.acked.length === 1);
    c.push('same', 2);
    c.push('other');
    await until(() => c.acked.length === 3);
    await sub.drain(1000);
    expect(seen).toEqual(['same', 'other']);
  });

  it('drain lets a quick handler finish and nacks one that outlives the drain time', async () => {
    const c = new FakeConsumer();
    c.push('quick');
    c.push('slow');
    const sub = runSubscription(c, (m) => new Promise<void>((r) => setTimeout(r, m.id === 'quick' ? 20 : 5000)), {
      topic: 't',
      group: 'g',
      concurrency: 2,
    });
    await until(() => sub.inFlight === 2);
    const result = await sub.drain(300);
    expect(result).toEqual({ finished: 1, nacked: 1 });
    expect(c.acked).toEqual(['tok-1']);
    expect(c.nacked).toEqual([{ token: 'tok-2', delayMs: 0, error: 'consumer drained' }]);
    expect(c.closed).toBe(true);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => runSubscription(new FakeConsumer(), () => {}, { topic: 't', group: 'g', concurrency: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('backoffDelay and ProcessedWindow', () => {
  it('grows exponentially up to the cap', () => {
    expect([1, 2, 3, 10].map((a) => backoffDelay(a, { initialMs: 100, maxMs: 1000 }))).toEqual([100, 200, 400, 1000]);
  });

  it('forgets the oldest id past its capacity', () => {
    const w = new ProcessedWindow(2);
    w.add('a');
    w.add('b');
    w.add('c');
    expect([w.has('a'), w.has('b'), w.has('c'), w.size]).toEqual([false, true, true, 2]);
  });
});
