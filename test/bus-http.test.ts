/**
 * The network adapter of the bus port: the SDK's HttpBus against Portico's bus HTTP API on the
 * admin port, over real sockets.
 *
 * 1. The ONE contract suite (test/bus/contract.ts) with HttpBus publishing and consuming through
 *    a real admin server (the one Portico runs, with real identity and the embedded bus on
 *    PGlite). Its admin half (test/bus/admin-contract.ts: topic figures, group lag, dead letters
 *    scoped by tenant, redelivery, purges) goes over the bus admin API too; only `read` (replay)
 *    and `redeliver(id)` without a topic, which have no admin route, use the embedded adapter.
 * 2. A real `portico start` process: tenancy of subscriptions, credentials, bad input, bounds,
 *    and a consumer process SIGKILLed mid-batch.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../packages/portico/src/admin/admin-server.js';
import { EmbeddedBus } from '../packages/portico/src/bus/embedded/embedded-bus.js';
import { PlatformHealth } from '../packages/portico/src/health/platform-health.js';
import { createLogger } from '../packages/portico/src/logger.js';
import { type BusAdminPort, type BusPort, createBus, HttpBus } from '../packages/sdk/src/index.js';
import { busContract, drain } from './bus/contract.js';
import { adminCreator, signIn } from './support/admin.js';
import { type Json, postJson, request } from './support/http.js';
import { openIdentity } from './support/identity.js';
import { type PorticoProc, ROOT, spawnNode, startPortico } from './support/processes.js';

const limits = { maxWaitMs: 5000, maxBatch: 1000, consumerIdleMs: 60_000, maxConsumers: 1000 };

busContract('HttpBus over the bus HTTP API (embedded, pglite)', async () => {
  const harness = await openIdentity('pglite');
  const embedded = new EmbeddedBus(harness.store.db, {
    retention: { defaults: {}, topics: { 'retention.count': { maxMessages: 3 } }, dedupWindowMs: 120_000 },
    sweepMs: 0,
    pollMs: 50,
  });
  const admin: FastifyInstance = await createAdminServer({
    logger: createLogger('warn'),
    health: new PlatformHealth(),
    maxTtlSeconds: 3600,
    identity: harness.identity,
    bus: embedded,
    busConsume: { limits },
  });
  await admin.listen({ port: 0, host: '127.0.0.1' });
  const address = admin.server.address() as { port: number };
  const http = new HttpBus({ url: `http://127.0.0.1:${address.port}`, token: await harness.adminToken() });
  // Publish, consume and the whole admin half (BusAdminPort, topics, dead letters, purges) go over
  // HTTP; `read` (replay) and `redeliver(id)` without a topic have no admin route, so those two
  // calls of the contract stay with the embedded adapter behind the server (see the top).
  const bus: BusPort & BusAdminPort = {
    topicInfo: (topic) => http.topicInfo(topic),
    listDeadLetters: (scope) => http.listDeadLetters(scope),
    redeliverDeadLetters: (scope) => http.redeliverDeadLetters(scope),
    removeDeadLetters: (scope) => http.removeDeadLetters(scope),
    purgeTopic: (topic) => http.purgeTopic(topic),
    publish: (input) => http.publish(input),
    consumer: (topic, options) => http.consumer(topic, options),
    read: (topic, options) => embedded.read(topic, options),
    topics: () => http.topics(),
    deadLetters: (filter) => http.deadLetters(filter),
    redeliver: (id) => embedded.redeliver(id),
    purgeDeadLetters: (filter) => http.purgeDeadLetters(filter),
    close: () => http.close(),
  };
  return {
    bus,
    sweep: () => embedded.sweep(),
    async close() {
      await http.close();
      await admin.close();
      await embedded.close();
      await harness.close();
    },
  };
});

describe('bus HTTP API on a real Portico process', () => {
  const PASSWORD = 'bus-http-admin-password';
  let portico: PorticoProc;
  let admin = '';
  const keys: Record<string, string> = {};
  const topic = () => `h.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-bus-http-'));
    const config = join(dir, 'portico.yaml');
    writeFileSync(
      config,
      ['bus:', '  http:', '    maxWaitMs: 1500', '    maxBatch: 25', '    consumerIdleMs: 3000', ''].join('\n'),
    );
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_CONFIG: config });
    admin = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, admin);
    for (const tenant of ['acme', 'globex']) {
      await create('/tenants', { name: tenant, displayName: tenant, enabledServices: [] });
      keys[tenant] = (await create(`/tenants/${tenant}/api-keys`, { name: 'svc', scopes: ['bus.*'] })).key;
    }
    keys.publishOnly = (await create('/tenants/acme/api-keys', { name: 'pub', scopes: ['bus.publish'] })).key;
  }, 90_000);
  afterAll(async () => {
    await portico?.stop();
  });

  const asAdmin = () => new HttpBus({ url: portico.adminUrl, token: admin });
  const asKey = (name: string) => new HttpBus({ url: portico.adminUrl, apiKey: keys[name] as string });
  const call = (path: string, body: unknown, key?: string, method = 'POST') =>
    request(`${portico.adminUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key ? { 'x-api-key': keys[key] as string } : {}),
      },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('a tenant credential only ever receives its tenant: same group name, no sharing', async () => {
    const tp = topic();
    const acme = asKey('acme');
    const globex = asKey('globex');
    const platform = asAdmin();
    try {
      const a = await acme.consumer(tp, { group: 'g', start: { kind: 'all' } });
      const g = await globex.consumer(tp, { group: 'g', start: { kind: 'all' } });
      const all = await platform.consumer(tp, { group: 'everything', start: { kind: 'all' } });
      for (const tenantId of ['acme', 'globex', null, 'acme', 'globex']) {
        await platform.publish({ type: tp, tenantId, data: tenantId });
      }
      // Asks for one more than its tenant has: nothing else may arrive.
      const gotA = await drain(a, 3, 1500);
      const gotG = await drain(g, 3, 1500);
      expect(gotA.map((d) => d.message.tenantId)).toEqual(['acme', 'acme']);
      expect(gotG.map((d) => d.message.tenantId)).toEqual(['globex', 'globex']);
      // The platform tenant consumes across tenants, platform-wide messages too.
      expect((await drain(all, 5)).map((d) => d.message.tenantId)).toEqual(['acme', 'globex', null, 'acme', 'globex']);
      // A tenant's publish lands in its own tenant; its consumer gets it.
      await acme.publish({ type: tp, data: 'own' });
      expect((await drain(a, 1)).map((d) => [d.message.tenantId, d.message.data])).toEqual([['acme', 'own']]);
      expect(await g.fetch(5, 300)).toEqual([]);
    } finally {
      await Promise.all([acme.close(), globex.close(), platform.close()]);
    }
  });

  it('refuses to consume across tenants, or without bus.consume, or without a credential', async () => {
    const cross = await call('/v1/bus/consumers', { topic: 'x.y', group: 'g', tenants: ['globex'] }, 'acme');
    expect(cross.status).toBe(403);
    expect(cross.body.error.code).toBe('AUTHORIZATION_ERROR');
    const mixed = await call('/v1/bus/consumers', { topic: 'x.y', group: 'g', tenants: ['acme', 'globex'] }, 'acme');
    expect(mixed.status).toBe(403);
    const own = await call('/v1/bus/consumers', { topic: 'x.y', group: 'g', tenants: ['acme'] }, 'acme');
    expect(own.status).toBe(201);
    expect(own.body.data).toMatchObject({ topic: 'x.y', group: 'g', tenants: ['acme'], maxBatch: 25, maxWaitMs: 1500 });
    const noRight = await call('/v1/bus/consumers', { topic: 'x.y', group: 'g' }, 'publishOnly');
    expect(noRight.status).toBe(403);
    expect(noRight.body.error.message).toContain('bus.consume');
    const anonymous = await call('/v1/bus/consumers', { topic: 'x.y', group: 'g' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('AUTHENTICATION_ERROR');
    const anonymousFetch = await call(`/v1/bus/consumers/${own.body.data.id}/fetch`, { max: 1, waitMs: 0 });
    expect(anonymousFetch.status).toBe(401);
    // Another tenant's consumer id is as unknown as a closed one.
    const stolen = await call(`/v1/bus/consumers/${own.body.data.id}/fetch`, { max: 1, waitMs: 0 }, 'globex');
    expect(stolen.status).toBe(404);
    expect(stolen.body.error.details.code).toBe('BUS_CONSUMER_UNKNOWN');
    const closed = await call(`/v1/bus/consumers/${own.body.data.id}`, undefined, 'acme', 'DELETE');
    expect(closed.status).toBe(200);
    const afterClose = await call(`/v1/bus/consumers/${own.body.data.id}/fetch`, { max: 1, waitMs: 0 }, 'acme');
    expect(afterClose.status).toBe(404);
  });

  it('answers malformed bodies and unknown handles with 4xx codes, never a 500', async () => {
    const opened = await call('/v1/bus/consumers', { topic: topic(), group: 'g' }, 'acme');
    const id = opened.body.data.id as string;
    const cases: [string, unknown, number, string?][] = [
      ['/v1/bus/consumers', '{"topic":', 400],
      ['/v1/bus/consumers', { topic: 'x.y' }, 400],
      ['/v1/bus/consumers', { topic: 'x.y', group: 'g', extra: 1 }, 400],
      ['/v1/bus/consumers', { topic: 'x.y', group: 'no spaces' }, 400],
      ['/v1/bus/consumers', { topic: 'not a topic!', group: 'g' }, 400, 'BUS_INPUT_INVALID'],
      [
        '/v1/bus/consumers',
        { topic: 'x.y', group: 'g', start: { kind: 'time', time: 'yesterday' } },
        400,
        'BUS_INPUT_INVALID',
      ],
      ['/v1/bus/consumers', { topic: 'x.y', group: 'g', maxDeliver: 0 }, 400],
      [`/v1/bus/consumers/${id}/fetch`, { max: 0, waitMs: 0 }, 400],
      [`/v1/bus/consumers/${id}/fetch`, { max: 1, waitMs: -1 }, 400],
      [`/v1/bus/consumers/${id}/fetch`, { max: '1', waitMs: 0 }, 400],
      [`/v1/bus/consumers/${id}/ack`, {}, 400],
      [`/v1/bus/consumers/${id}/ack`, { token: 'never-handed-out' }, 404, 'BUS_DELIVERY_UNKNOWN'],
      [`/v1/bus/consumers/${id}/nack`, { token: 'never-handed-out', delayMs: 10 }, 404, 'BUS_DELIVERY_UNKNOWN'],
      [`/v1/bus/consumers/${id}/reject`, { token: 'x' }, 400],
      [`/v1/bus/consumers/${id}/reject`, { token: 'x', error: 'bad' }, 404, 'BUS_DELIVERY_UNKNOWN'],
      [`/v1/bus/consumers/${randomUUID()}/fetch`, { max: 1, waitMs: 0 }, 404, 'BUS_CONSUMER_UNKNOWN'],
    ];
    for (const [path, body, status, busCode] of cases) {
      const reply = await call(path, body, 'acme');
      expect(reply.status, `${path} ${JSON.stringify(body)}: ${reply.text}`).toBe(status);
      expect(reply.body.success).toBe(false);
      if (busCode) expect(reply.body.error.details.code).toBe(busCode);
    }
  });

  it('a settled token is unknown the second time; fetch is bounded by bus.http.maxBatch and maxWaitMs', async () => {
    const tp = topic();
    const acme = asKey('acme');
    try {
      const c = await acme.consumer(tp, { group: 'g' });
      const startedEmpty = Date.now();
      // Asks for a minute: the long poll ends at bus.http.maxWaitMs (1500), with nothing.
      expect(await c.fetch(10, 60_000)).toEqual([]);
      const waited = Date.now() - startedEmpty;
      expect(waited).toBeGreaterThanOrEqual(1400);
      expect(waited).toBeLessThan(30_000);
      for (let i = 0; i < 30; i++) await acme.publish({ type: tp, data: i });
      const batch = await c.fetch(100, 1000);
      expect(batch.length).toBe(25);
      const first = batch[0]?.token ?? '';
      await c.ack(first);
      await expect(c.ack(first)).rejects.toMatchObject({
        code: 'NOT_FOUND',
        details: { code: 'BUS_DELIVERY_UNKNOWN' },
      });
      for (const d of batch.slice(1)) await c.ack(d.token);
      expect((await drain(c, 5)).length).toBe(5);
    } finally {
      await acme.close();
    }
  });

  it('createBus over HttpBus: a chain of two groups, a failing handler retried then dead-lettered', async () => {
    type Topics = Record<string, { n: number }>;
    const [verified, done] = [topic(), topic()];
    const bus = createBus<Topics>(asKey('acme'));
    const seen: number[] = [];
    let failures = 0;
    await bus.subscribe(
      verified,
      async (m) => {
        if (m.data.n === 99) {
          failures += 1;
          throw new Error('never works');
        }
        await bus.publish(done, { n: m.data.n * 10 }, { id: `done-${m.id}` });
      },
      { group: 'payout', concurrency: 3, maxDeliver: 2, backoff: { initialMs: 50, maxMs: 100 }, fetchWaitMs: 500 },
    );
    await bus.subscribe(done, (m) => void seen.push(m.data.n), { group: 'report', fetchWaitMs: 500 });
    for (const n of [1, 2, 99, 3]) await bus.publish(verified, { n });
    const deadline = Date.now() + 15_000;
    while ((seen.length < 3 || failures < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await bus.drain(3000);
    expect(seen.sort()).toEqual([10, 20, 30]);
    expect(failures).toBe(2);
  });

  it('a batch that lands after its caller left the long poll goes straight back to the group', async () => {
    const tp = topic();
    const acme = asKey('acme');
    try {
      const c = await acme.consumer(tp, { group: 'g', ackWaitMs: 60_000 });
      const opened = await call('/v1/bus/consumers', { topic: tp, group: 'g', ackWaitMs: 60_000 }, 'acme');
      const abort = new AbortController();
      const leaving = fetch(`${portico.adminUrl}/v1/bus/consumers/${opened.body.data.id}/fetch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': keys.acme as string },
        body: JSON.stringify({ max: 1, waitMs: 1500 }),
        signal: abort.signal,
      }).catch(() => 'aborted');
      await new Promise((r) => setTimeout(r, 200));
      abort.abort();
      expect(await leaving).toBe('aborted');
      // Let Portico see the socket close (a batch sent at the very moment of leaving waits out its ack wait).
      await new Promise((r) => setTimeout(r, 500));
      await acme.publish({ type: tp, data: 'in the poll' });
      // Without the give-back it would be invisible for the 60 s ack wait, or until the idle
      // close of the abandoned consumer (3 s after its last call, at the earliest).
      const [d] = await drain(c, 1, 2500);
      expect(d?.message.data).toBe('in the poll');
    } finally {
      await acme.close();
    }
  });

  it('a consumer idle past bus.http.consumerIdleMs is closed; HttpBus joins again on its next fetch', async () => {
    const tp = topic();
    const acme = asKey('acme');
    try {
      const c = await acme.consumer(tp, { group: 'g', ackWaitMs: 60_000 });
      await acme.publish({ type: tp, data: 'held' });
      const [held] = await c.fetch(1, 1000);
      expect(held).toBeDefined();
      // Idle 3000 ms, swept every 1500 ms: closed (its delivery back to the group) within 6 s.
      await new Promise((r) => setTimeout(r, 6000));
      await expect(c.ack(held?.token ?? '')).rejects.toMatchObject({ details: { code: 'BUS_CONSUMER_UNKNOWN' } });
      const [again] = await drain(c, 1, 3000);
      expect(again?.message.id).toBe(held?.message.id);
      expect(again?.attempt).toBe(2);
    } finally {
      await acme.close();
    }
  }, 30_000);

  it('a consumer process SIGKILLed mid-batch loses nothing: another member gets its messages after ack-wait', async () => {
    const tp = `crash.${randomUUID().slice(0, 8)}`;
    const acme = asKey('acme');
    try {
      const survivor = await acme.consumer(tp, { group: 'work', ackWaitMs: 1000 });
      const published = new Set<string>();
      for (let i = 0; i < 40; i++) published.add((await acme.publish({ type: tp, data: i })).id);
      const child = spawnNode([join(ROOT, 'test/bus/http-crash-consumer.mjs')], {
        BUS_URL: portico.adminUrl,
        BUS_API_KEY: keys.acme as string,
        BUS_TOPIC: tp,
        BUS_BATCH: '20',
        BUS_ACK_WAIT_MS: '1000',
      });
      const line = await child.waitForLine(/^fetched /, 30_000);
      const held = JSON.parse(line.slice('fetched '.length)) as string[];
      expect(held.length).toBe(20);
      expect(await child.stop('SIGKILL')).toBe(-1);

      const got = await drain(survivor, 40, 20_000);
      expect(new Set(got.map((d) => d.message.id))).toEqual(published);
      const redelivered = got.filter((d) => held.includes(d.message.id));
      expect(redelivered.length).toBe(20);
      for (const d of redelivered) expect(d.attempt).toBe(2);
      expect(await survivor.fetch(10, 300)).toEqual([]);
    } finally {
      await acme.close();
    }
  }, 60_000);

  it('counts HTTP consumers and their deliveries on /metrics', async () => {
    const tp = topic();
    const acme = asKey('acme');
    const c = await acme.consumer(tp, { group: 'm' });
    await acme.publish({ type: tp, data: 1 });
    await drain(c, 1);
    const text = (await request(`${portico.adminUrl}/metrics`)).text as string;
    expect(text).toMatch(/^portico_bus_http_consumers [1-9]/m);
    expect(text).toContain(`portico_bus_deliveries_total{topic="${tp}",group="tenant_acme.m",outcome="acked"} 1`);
    await acme.close();
  });

  it('publishing for another tenant is refused by the same rule', async () => {
    const reply = await postJson(
      `${portico.adminUrl}/v1/bus/messages`,
      { type: 'x.y', tenantId: 'globex', data: {} },
      { headers: { 'content-type': 'application/json', 'x-api-key': keys.acme as string } },
    );
    expect(reply.status).toBe(403);
    expect((reply.body as Json).error.code).toBe('AUTHORIZATION_ERROR');
  });
});
