/**
 * The bus admin API (docs/bus.md, "Admin API") on a real Portico process whose embedded bus is on
 * PostgreSQL, so this test's own `EmbeddedBus` on the same database plays the services: it
 * publishes, consumes and dead-letters, and the admin port shows and steers what it did.
 */
import type { BusConsumer } from '@portico/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../packages/portico/src/bus/embedded/embedded-bus.js';
import { openStore, type Store } from '../packages/portico/src/store/index.js';
import { adminCreator, signIn, tenantUser } from './support/admin.js';
import { type Json, postJson, request } from './support/http.js';
import { TEST_STORE_KEYS } from './support/identity.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'bus-admin-password-for-tests';
const TOPIC = 'orders.verified';

let pg: PostgresServer;
let portico: PorticoProc;
let store: Store;
let bus: EmbeddedBus;
let consumer: BusConsumer;
const tokens: Record<string, string> = {};

const call = (token: string | undefined, method: string, path: string) =>
  request(`${portico.adminUrl}${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

beforeAll(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase('bus_admin');
  portico = await startPortico({
    PORTICO_DATABASE_URL: url,
    PORTICO_STORE_KEYS: TEST_STORE_KEYS,
    PORTICO_ADMIN_PASSWORD: PASSWORD,
  });
  store = await openStore({ url, dataDir: '', poolSize: 3 });
  bus = new EmbeddedBus(store.db, {
    retention: { defaults: {}, topics: {}, dedupWindowMs: 120000 },
    sweepMs: 0,
    pollMs: 50,
  });
  tokens.admin = await signIn(portico, 'platform', 'admin', PASSWORD);
  const create = adminCreator(portico, tokens.admin);
  tokens.user = await tenantUser(portico, create, 'acme');
  await create('/tenants/acme/users', { username: 'boss', password: 'boss-password-123', roles: ['tenant_admin'] });
  tokens.acmeAdmin = await signIn(portico, 'acme', 'boss', 'boss-password-123');

  // A group that rejects everything: one dead letter of acme, one of globex, one without a tenant.
  consumer = await bus.consumer(TOPIC, { group: 'payout', ackWaitMs: 60000 });
  for (const tenantId of ['acme', 'globex', null]) await bus.publish({ type: TOPIC, tenantId, data: { tenantId } });
  let rejected = 0;
  const deadline = Date.now() + 10000;
  while (rejected < 3 && Date.now() < deadline) {
    for (const d of await consumer.fetch(3, 500)) {
      await consumer.reject(d.token, `cannot pay ${String(d.message.tenantId)}`);
      rejected++;
    }
  }
  expect(rejected).toBe(3);
  await bus.publish({ type: TOPIC, tenantId: 'acme', data: 'waiting' });
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await store?.close();
  await portico?.stop();
  await pg?.stop();
});

describe('bus admin API', () => {
  it('lists topics with size, sequences, retention and each group with its lag', async () => {
    const reply = await call(tokens.admin, 'GET', '/v1/bus/topics');
    expect(reply.status, reply.text).toBe(200);
    const topic = reply.body.data.topics.find((t: Json) => t.topic === TOPIC);
    expect(topic).toMatchObject({ messages: 4, retention: { maxAgeMs: 604800000 } });
    expect(topic.lastSequence).toBeGreaterThan(topic.firstSequence);
    expect(topic.groups).toEqual([{ group: 'payout', pending: 1, inFlight: 0, lag: 1, deadLetters: 3 }]);
    const one = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}`);
    expect(one.body.data).toEqual(topic);
    const groups = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/groups`);
    expect(groups.body.data.groups).toEqual(topic.groups);
  });

  it('pages dead letters with the last error and attempts; a tenant_admin sees only theirs', async () => {
    const all = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters?limit=2`);
    expect(all.status, all.text).toBe(200);
    expect(all.body.data.items.length).toBe(2);
    expect(all.body.data.items[0]).toMatchObject({ group: 'payout', attempts: 1, error: 'cannot pay acme' });
    const rest = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters?after=${all.body.data.next}`);
    expect(rest.body.data.items.map((d: Json) => d.error)).toEqual(['cannot pay null']);
    expect(rest.body.data.next).toBeUndefined();
    const narrowed = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters?tenant=globex`);
    expect(narrowed.body.data.items.map((d: Json) => d.message.tenantId)).toEqual(['globex']);

    const acme = await call(tokens.acmeAdmin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters`);
    expect(acme.status, acme.text).toBe(200);
    expect(acme.body.data.items.map((d: Json) => d.message.tenantId)).toEqual(['acme']);
    // Asking for another tenant changes nothing for a tenant's caller.
    const sneaky = await call(tokens.acmeAdmin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters?tenant=globex`);
    expect(sneaky.body.data.items.map((d: Json) => d.message.tenantId)).toEqual(['acme']);
    const globexEntry = all.body.data.items[1];
    const peek = await call(tokens.acmeAdmin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters/${globexEntry.id}`);
    expect(peek.status).toBe(404);
    const own = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters/${globexEntry.id}`);
    expect(own.body.data).toEqual(globexEntry);
  });

  it('refuses what a caller may not do: no credential 401, no bus.admin 403, topic figures for the platform only', async () => {
    expect((await call(undefined, 'GET', '/v1/bus/topics')).status).toBe(401);
    const user = await call(tokens.user, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters`);
    expect([user.status, user.body.error.code]).toEqual([403, 'AUTHORIZATION_ERROR']);
    for (const [method, path] of [
      ['GET', '/v1/bus/topics'],
      ['GET', `/v1/bus/topics/${TOPIC}`],
      ['GET', `/v1/bus/topics/${TOPIC}/groups`],
      ['DELETE', `/v1/bus/topics/${TOPIC}/messages`],
    ] as const) {
      const reply = await call(tokens.acmeAdmin, method, path);
      expect([path, reply.status, reply.body.error.code]).toEqual([path, 403, 'AUTHORIZATION_ERROR']);
    }
  });

  it('answers bad input with 400 and an unknown topic or entry with 404, never a 500', async () => {
    const cases: [string, string, number, string][] = [
      ['GET', '/v1/bus/topics/bad%20topic', 400, 'VALIDATION_ERROR'],
      ['GET', '/v1/bus/topics/orders.*/dead-letters', 400, 'VALIDATION_ERROR'],
      ['GET', `/v1/bus/topics/${TOPIC}/dead-letters?limit=0`, 400, 'VALIDATION_ERROR'],
      ['GET', `/v1/bus/topics/${TOPIC}/dead-letters?limit=abc`, 400, 'VALIDATION_ERROR'],
      ['GET', `/v1/bus/topics/${TOPIC}/dead-letters?group=a%20b`, 400, 'VALIDATION_ERROR'],
      ['GET', `/v1/bus/topics/${TOPIC}/dead-letters?colour=red`, 400, 'VALIDATION_ERROR'],
      ['GET', '/v1/bus/topics/no.such.topic', 404, 'NOT_FOUND'],
      ['GET', '/v1/bus/topics/no.such.topic/groups', 404, 'NOT_FOUND'],
      ['GET', '/v1/bus/topics/no.such.topic/dead-letters', 404, 'NOT_FOUND'],
      ['DELETE', '/v1/bus/topics/no.such.topic/messages', 404, 'NOT_FOUND'],
      ['POST', `/v1/bus/topics/${TOPIC}/dead-letters/not-an-id/redeliver`, 404, 'NOT_FOUND'],
      ['DELETE', `/v1/bus/topics/${TOPIC}/dead-letters/not-an-id`, 404, 'NOT_FOUND'],
      ['GET', `/v1/bus/topics/${TOPIC}/dead-letters/${'x'.repeat(300)}`, 400, 'VALIDATION_ERROR'],
    ];
    for (const [method, path, status, code] of cases) {
      const reply = await call(tokens.admin, method, path);
      expect([path, reply.status, reply.body?.error?.code]).toEqual([path, status, code]);
    }
  });

  it('redelivers one dead letter, then the rest of a tenant, to the group, which consumes them', async () => {
    const list = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters`);
    const globex = list.body.data.items.find((d: Json) => d.message.tenantId === 'globex');
    const acmeTry = await call(tokens.acmeAdmin, 'POST', `/v1/bus/topics/${TOPIC}/dead-letters/${globex.id}/redeliver`);
    expect(acmeTry.status).toBe(404);
    const one = await call(tokens.admin, 'POST', `/v1/bus/topics/${TOPIC}/dead-letters/${globex.id}/redeliver`);
    expect([one.status, one.body.data]).toEqual([200, { redelivered: 1 }]);
    const mine = await call(tokens.acmeAdmin, 'POST', `/v1/bus/topics/${TOPIC}/dead-letters/redeliver?group=payout`);
    expect(mine.body.data).toEqual({ redelivered: 1 });
    const got = new Map<unknown, string>();
    const deadline = Date.now() + 10000;
    while (got.size < 3 && Date.now() < deadline) {
      for (const d of await consumer.fetch(5, 500)) {
        got.set(d.message.data, String(d.message.tenantId));
        await consumer.ack(d.token);
      }
    }
    expect([...got.values()].sort()).toEqual(['acme', 'acme', 'globex']);
    const left = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}/dead-letters`);
    expect(left.body.data.items.map((d: Json) => d.message.tenantId)).toEqual([null]);
    const audit = await call(tokens.admin, 'GET', '/v1/admin/audit?action=bus.dead-letter.redeliver');
    expect(audit.body.data.entries.map((e: Json) => [e.action, e.target])).toEqual([
      ['bus.dead-letter.redeliver', TOPIC],
      ['bus.dead-letter.redeliver', `${TOPIC}/${globex.id}`],
    ]);
  });

  it('purges dead letters and a topic', async () => {
    const purged = await call(tokens.admin, 'DELETE', `/v1/bus/topics/${TOPIC}/dead-letters?group=payout`);
    expect([purged.status, purged.body.data]).toEqual([200, { purged: 1 }]);
    for (let i = 0; i < 3; i++) await bus.publish({ type: TOPIC, data: i });
    const topic = await call(tokens.admin, 'DELETE', `/v1/bus/topics/${TOPIC}/messages`);
    expect(topic.status, topic.text).toBe(200);
    expect(topic.body.data.purged).toBeGreaterThanOrEqual(3);
    const after = await call(tokens.admin, 'GET', `/v1/bus/topics/${TOPIC}`);
    expect(after.body.data).toMatchObject({ messages: 0, groups: [{ group: 'payout', lag: 0, deadLetters: 0 }] });
    const publish = await postJson(
      `${portico.adminUrl}/v1/bus/messages`,
      { type: TOPIC, data: 'next' },
      {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
      },
    );
    expect(publish.status).toBe(201);
    const [next] = await consumer.fetch(1, 5000);
    expect(next?.message.data).toBe('next');
    await consumer.ack(next?.token ?? '');
  });
});

describe('bus metrics on /metrics', () => {
  it('counts published, delivered and acked per topic and group, and reads lag, in flight and dead letters at scrape time', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` };
    // The hub's bus feed in the Portico process consumes realtime.publish: a real group there.
    for (let i = 0; i < 3; i++) {
      const reply = await postJson(
        `${portico.adminUrl}/v1/bus/messages`,
        { type: 'realtime.publish', tenantId: 'acme', data: { channel: 'c', data: i } },
        { headers },
      );
      expect(reply.status).toBe(201);
    }
    // This test's group (another process) holds one in flight and one dead letter.
    for (const data of ['held', 'dead']) await bus.publish({ type: TOPIC, data });
    const batch = await consumer.fetch(2, 5000);
    expect(batch.length).toBe(2);
    await consumer.reject(batch[1]?.token ?? '', 'for the gauge');

    const acked =
      /portico_bus_deliveries_total\{topic="realtime\.publish",group="realtime-[^"]+",outcome="acked"\} (\d+)/;
    let text = '';
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      text = (await request(`${portico.adminUrl}/metrics`)).text;
      if (Number(acked.exec(text)?.[1] ?? 0) >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(text).toContain('portico_bus_published_total{topic="realtime.publish"} 3');
    // The publish over HTTP in the 'purges' case went through this process too.
    expect(text).toContain(`portico_bus_published_total{topic="${TOPIC}"} 1`);
    expect(Number(acked.exec(text)?.[1])).toBe(3);
    expect(text).toMatch(
      /portico_bus_deliveries_total\{topic="realtime\.publish",group="realtime-[^"]+",outcome="delivered"\} 3/,
    );
    expect(text).toContain(`portico_bus_lag{topic="${TOPIC}",group="payout"} 1`);
    expect(text).toContain(`portico_bus_in_flight{topic="${TOPIC}",group="payout"} 1`);
    expect(text).toContain(`portico_bus_dead_letters{topic="${TOPIC}",group="payout"} 1`);
    expect(text).toMatch(/portico_bus_lag\{topic="realtime\.publish",group="realtime-[^"]+"\} 0/);
    await consumer.ack(batch[0]?.token ?? '');
    const later = (await request(`${portico.adminUrl}/metrics`)).text;
    expect(later).toContain(`portico_bus_lag{topic="${TOPIC}",group="payout"} 0`);
  });
});
