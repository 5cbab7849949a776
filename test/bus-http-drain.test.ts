/**
 * Drain of a service that consumes over HttpBus, as real processes: a `portico start` and a
 * service (the SDK's createBus over HttpBus, test/bus/http-drain-consumer.mjs) that gets SIGTERM
 * while its handlers are mid-batch. It must stop taking messages, finish the short handlers,
 * nack the long ones back to the group, and exit 0; every message is then acked exactly once,
 * by the service or by another member of the group (this test), by message id.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpBus } from '../packages/sdk/src/index.js';
import { adminCreator, signIn } from './support/admin.js';
import { type PorticoProc, ROOT, spawnNode, startPortico } from './support/processes.js';

const PASSWORD = 'bus-drain-admin-password';
let portico: PorticoProc;
let key = '';

beforeAll(async () => {
  portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
  const create = adminCreator(portico, await signIn(portico, 'platform', 'admin', PASSWORD));
  await create('/tenants', { name: 'acme', displayName: 'acme', enabledServices: [] });
  key = (await create('/tenants/acme/api-keys', { name: 'svc', scopes: ['bus.*'] })).key;
}, 90_000);
afterAll(async () => {
  await portico?.stop();
});

it('a service consuming over HttpBus drains on SIGTERM mid-batch: exit 0, every message acked exactly once', async () => {
  const topic = `drain.${randomUUID().slice(0, 8)}`;
  const bus = new HttpBus({ url: portico.adminUrl, apiKey: key });
  try {
    // Joins the group first (a new group starts at the end of the topic); it takes nothing until the service is gone.
    const member = await bus.consumer(topic, { group: 'work', ackWaitMs: 30_000 });
    const published = new Set<string>();
    const slow = new Set<string>();
    for (let i = 0; i < 24; i++) {
      // Every third handler outlasts the drain (it must be nacked); the others finish within it.
      const ms = i % 3 === 0 ? 60_000 : 300;
      const { id } = await bus.publish({ type: topic, data: { ms } });
      published.add(id);
      if (ms > 1000) slow.add(id);
    }
    const service = spawnNode([join(ROOT, 'test/bus/http-drain-consumer.mjs')], {
      BUS_URL: portico.adminUrl,
      BUS_API_KEY: key,
      BUS_TOPIC: topic,
      BUS_CONCURRENCY: '6',
      BUS_DRAIN_MS: '2000',
    });
    // Mid-batch: at least two long handlers hold their slots (the rest keep cycling through short ones).
    const deadline = Date.now() + 30_000;
    const started = () => service.lines.filter((l) => l.startsWith('start ')).map((l) => l.slice(6));
    while (started().filter((id) => slow.has(id)).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(started().filter((id) => slow.has(id)).length).toBeGreaterThanOrEqual(2);
    const sent = Date.now();
    expect(await service.stop('SIGTERM')).toBe(0);
    // Bounded by the drain (2 s) plus its calls, far below the 60 s of a long handler.
    expect(Date.now() - sent).toBeLessThan(20_000);

    const lines = service.lines;
    const at = lines.indexOf('sigterm');
    expect(at).toBeGreaterThanOrEqual(0);
    // Stopped taking messages: no handler began after the signal.
    expect(lines.slice(at).filter((l) => l.startsWith('start '))).toEqual([]);
    const drained = JSON.parse(lines.find((l) => l.startsWith('drained '))?.slice(8) ?? '{}');
    expect(drained.nacked).toBeGreaterThanOrEqual(2);
    const ackedByService = lines.filter((l) => l.startsWith('acked ')).map((l) => l.slice(6));
    expect(new Set(ackedByService).size).toBe(ackedByService.length);
    // The long handlers were nacked, never acked; handlers in flight at the signal that were short finished.
    for (const id of ackedByService) expect(slow.has(id)).toBe(false);
    for (const id of started()) if (!slow.has(id)) expect(ackedByService).toContain(id);

    // The other member takes the rest: the nacked ones at once (no delay), the never-fetched ones.
    const ackedByMember: string[] = [];
    const want = published.size - ackedByService.length;
    const until = Date.now() + 20_000;
    while (ackedByMember.length < want && Date.now() < until) {
      for (const d of await member.fetch(want - ackedByMember.length, 1000)) {
        await member.ack(d.token);
        ackedByMember.push(d.message.id);
      }
    }
    expect(await member.fetch(10, 500)).toEqual([]);
    const all = [...ackedByService, ...ackedByMember];
    expect(all.length).toBe(published.size);
    expect(new Set(all)).toEqual(published);
    // The nacked long handlers came back quickly, well inside their 30 s ack wait.
    for (const id of started()) if (slow.has(id)) expect(ackedByMember).toContain(id);
  } finally {
    await bus.close();
  }
}, 120_000);
