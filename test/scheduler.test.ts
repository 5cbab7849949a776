/**
 * The scheduler on a real Portico process (embedded PGlite store, embedded bus), driven through
 * its admin API and the SDK client as an operator and a service would: an every-second schedule
 * publishing on the bus, a failing HTTP target retried with backoff, pause, paged history,
 * validation, tenancy, audit and metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchedulerClient, HttpBus } from '@portico/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn, tenantUser } from './support/admin.js';
import { type Json, registerInstance, request, waitUntil } from './support/http.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'scheduler-password-for-tests';
let portico: PorticoProc;
let admin: string;
let acmeAdmin: string;
let acmeUser: string;
let flaky: Server;
const flakyHits: number[] = [];

const call = (token: string, method: string, path: string, body?: unknown) =>
  request(`${portico.adminUrl}/v1/scheduler${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const runsOf = async (token: string, name: string, query = '') =>
  (await call(token, 'GET', `/acme/schedules/${name}/runs${query}`)).body.data as { runs: Json[]; next: string | null };

beforeAll(async () => {
  portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_SCHEDULER_POLL_MS: '100' });
  admin = await signIn(portico, 'platform', 'admin', PASSWORD);
  const create = adminCreator(portico, admin);
  acmeUser = await tenantUser(portico, create, 'acme');
  await create('/tenants/acme/users', { username: 'boss', password: 'boss-password-123', roles: ['tenant_admin'] });
  acmeAdmin = await signIn(portico, 'acme', 'boss', 'boss-password-123');
  await create('/tenants', { name: 'globex', displayName: 'Globex', enabledServices: [] });
  // A service that always fails, registered like any other.
  flaky = createServer((req, res) => {
    flakyHits.push(Date.now());
    req.resume();
    res.writeHead(500, { 'content-type': 'text/plain' }).end('archive store is down');
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  const { port } = flaky.address() as AddressInfo;
  await registerInstance(portico.adminUrl, { service: 'flaky', host: '127.0.0.1', port, ttlSeconds: 300 });
}, 120_000);

afterAll(async () => {
  await portico?.stop();
  await new Promise((resolve) => flaky?.close(resolve));
});

describe('scheduler', () => {
  it('fires an every-second schedule onto the bus, once per tick, with the run as the message', async () => {
    const bus = new HttpBus({ url: portico.adminUrl, token: admin });
    const consumer = await bus.consumer('archive.tick', { group: 'checker', start: { kind: 'all' } });
    const reply = await call(admin, 'PUT', '/acme/schedules/tick', {
      cron: '* * * * * *',
      target: { kind: 'bus', type: 'archive.tick', data: { olderThanDays: 7 } },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body.data).toMatchObject({ tenant: 'acme', name: 'tick', enabled: true, timezone: 'UTC' });
    await waitUntil(
      async () => (await runsOf(admin, 'tick')).runs.filter((r) => r.outcome === 'succeeded').length >= 3,
      20_000,
      200,
    );
    const runs = (await runsOf(admin, 'tick')).runs;
    expect(new Set(runs.map((r) => r.scheduledAt)).size).toBe(runs.length);
    const messages: Json[] = [];
    await waitUntil(
      async () => {
        for (const d of await consumer.fetch(10, 500)) {
          messages.push(d.message);
          await consumer.ack(d.token);
        }
        return messages.length >= 3;
      },
      10_000,
      0,
    );
    await consumer.close();
    expect(messages[0]).toMatchObject({
      type: 'archive.tick',
      tenantId: 'acme',
      data: { schedule: 'tick', tenant: 'acme', attempt: 1, data: { olderThanDays: 7 } },
    });
    const succeeded = runs.find((r) => r.outcome === 'succeeded');
    expect(succeeded).toMatchObject({ trigger: 'cron', attempt: 1, error: null });
    expect(Date.parse(succeeded.finishedAt)).toBeGreaterThanOrEqual(Date.parse(succeeded.scheduledAt));
  });

  it('pages the history newest first', async () => {
    const first = await runsOf(admin, 'tick', '?limit=2');
    expect(first.runs).toHaveLength(2);
    expect(first.next).toBe(first.runs[1].id);
    const second = await runsOf(admin, 'tick', `?limit=2&before=${first.next}`);
    expect(second.runs.length).toBeGreaterThanOrEqual(1);
    expect(Number(second.runs[0].id)).toBeLessThan(Number(first.runs[1].id));
    expect(Date.parse(second.runs[0].scheduledAt)).toBeLessThan(Date.parse(first.runs[1].scheduledAt));
  });

  it('stops firing while paused, and a service upsert does not resume it', async () => {
    const paused = await call(acmeAdmin, 'POST', '/acme/schedules/tick/pause');
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.data).toMatchObject({ enabled: false, nextRunAt: null });
    const pausedAt = Date.now();
    // The service registers its schedule again on start (the SDK's idempotent upsert).
    const scheduler = createSchedulerClient({
      url: portico.adminUrl,
      tenant: 'acme',
      credential: { token: acmeAdmin },
    });
    const again = await scheduler.put('tick', {
      cron: '* * * * * *',
      target: { kind: 'bus', type: 'archive.tick', data: { olderThanDays: 7 } },
    });
    expect(again.enabled).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const { runs } = await runsOf(admin, 'tick', '?limit=200');
    // A tick claimed just before the pause may still be recorded; none after it.
    expect(runs.filter((r) => Date.parse(r.scheduledAt) > pausedAt + 1000)).toEqual([]);
    const resumed = await scheduler.resume('tick');
    expect(resumed.enabled).toBe(true);
    expect(resumed.nextRunAt).not.toBeNull();
    await scheduler.pause('tick');
  });

  it('retries a failing target with backoff, then records the failure', async () => {
    const put = await call(admin, 'PUT', '/acme/schedules/archive', {
      cron: '0 0 1 1 *',
      target: { kind: 'http', service: 'flaky', path: '/jobs/archive' },
      retries: { maxAttempts: 3, backoff: { initialMs: 300, factor: 2 } },
      timeoutMs: 2000,
    });
    // acme has not enabled the service: a tenant's schedule calls only what the gateway lets it.
    expect(put.status, put.text).toBe(403);
    const create = adminCreator(portico, admin);
    await create('/tenants', { name: 'initech', displayName: 'Initech', enabledServices: ['flaky'] });
    const ok = await call(admin, 'PUT', '/initech/schedules/archive', {
      cron: '0 0 1 1 *',
      target: { kind: 'http', service: 'flaky', path: '/jobs/archive' },
      retries: { maxAttempts: 3, backoff: { initialMs: 300, factor: 2 } },
      timeoutMs: 2000,
    });
    expect(ok.status, ok.text).toBe(201);
    const triggered = await call(admin, 'POST', '/initech/schedules/archive/trigger');
    expect(triggered.status, triggered.text).toBe(202);
    expect(triggered.body.data).toMatchObject({ trigger: 'manual', outcome: 'running' });
    let run: Json;
    await waitUntil(
      async () => {
        const page = (await call(admin, 'GET', '/initech/schedules/archive/runs')).body.data;
        run = page.runs[0];
        return run.outcome !== 'running';
      },
      20_000,
      100,
    );
    expect(run).toMatchObject({ outcome: 'failed', attempt: 3 });
    expect(run.error).toMatch(/flaky answered 500: archive store is down/);
    expect(flakyHits).toHaveLength(3);
    // Backoff: 300 ms before the 2nd attempt, 600 ms before the 3rd (lower bounds only).
    expect((flakyHits[1] as number) - (flakyHits[0] as number)).toBeGreaterThanOrEqual(290);
    expect((flakyHits[2] as number) - (flakyHits[1] as number)).toBeGreaterThanOrEqual(590);
  });

  it('refuses a bad cron or time zone with SCHEDULE_INVALID, and bad shapes with VALIDATION_ERROR', async () => {
    const target = { kind: 'bus', type: 'archive.tick' };
    for (const [body, field] of [
      [{ cron: '61 * * * *', target }, 'cron'],
      [{ cron: '* * * *  * * *', target }, 'cron'],
      [{ cron: '* * * * *', timezone: 'Mars/Olympus', target }, 'timezone'],
      [{ cron: '* * * * *', target: { kind: 'bus', type: 'no spaces' } }, 'target.type'],
    ] as const) {
      const reply = await call(admin, 'PUT', '/acme/schedules/bad', body);
      expect(reply.status, reply.text).toBe(400);
      expect(reply.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { code: 'SCHEDULE_INVALID', field },
      });
    }
    const shape = await call(admin, 'PUT', '/acme/schedules/bad', { cron: '* * * * *', target, extra: 1 });
    expect(shape.status).toBe(400);
    expect(shape.body.error.code).toBe('VALIDATION_ERROR');
    expect((await call(admin, 'GET', '/acme/schedules/bad')).status).toBe(404);
  });

  it('keeps each tenant to its own schedules and needs scheduler.admin', async () => {
    expect((await call(acmeUser, 'GET', '/acme/schedules')).status).toBe(403);
    expect((await call(acmeAdmin, 'GET', '/globex/schedules')).status).toBe(403);
    const own = await call(acmeAdmin, 'GET', '/acme/schedules');
    expect(own.status).toBe(200);
    expect(own.body.data.schedules.map((s: Json) => s.name)).toEqual(['tick']);
    const anonymous = await request(`${portico.adminUrl}/v1/scheduler/acme/schedules`);
    expect(anonymous.status).toBe(401);
  });

  it('audits writes and reports runs and last success on /metrics', async () => {
    const audit = await request(`${portico.adminUrl}/v1/admin/audit?tenant=acme&limit=200`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const actions = audit.body.data.entries.map((e: Json) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['scheduler.schedule.put', 'scheduler.schedule.pause']));
    const metrics = await request(`${portico.adminUrl}/metrics`);
    expect(metrics.text).toMatch(
      /portico_scheduler_runs_total\{tenant="acme",schedule="tick",outcome="succeeded"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /portico_scheduler_runs_total\{tenant="initech",schedule="archive",outcome="failed"\} 1/,
    );
    expect(metrics.text).toMatch(
      /portico_scheduler_last_success_timestamp_seconds\{tenant="acme",schedule="tick"\} 1\d{9}/,
    );
  });

  it('deletes a schedule with its history', async () => {
    expect((await call(admin, 'DELETE', '/initech/schedules/archive')).status).toBe(200);
    expect((await call(admin, 'GET', '/initech/schedules/archive/runs')).status).toBe(404);
  });
});
