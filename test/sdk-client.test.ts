/**
 * SDK service clients against a real Portico process: discovery through the registry's watch
 * stream, retries that are safe and budgeted, the breaker with its fallback answers, and
 * last-known-good instances while the registry is away. Services are real echo-service
 * processes; failing upstreams are HTTP servers in this process that count what reaches them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceClient, ok, type ServiceClient, type ServiceClientOptions, serve } from '@portico/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from './support/bad-upstreams.js';
import { type Json, registerInstance, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** An HTTP server in this process that counts requests, and the retries among them (x-portico-attempt > 1). */
interface Counting {
  readonly port: number;
  readonly hits: number;
  readonly retries: number;
  close(): Promise<void>;
}

async function countingServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Counting> {
  let hits = 0;
  let retries = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (Number(req.headers['x-portico-attempt'] ?? 1) > 1) retries++;
    req.resume();
    req.once('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get hits() {
      return hits;
    },
    get retries() {
      return retries;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(res: ServerResponse, status: number, body: unknown, delayMs = 0): void {
  setTimeout(() => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }, delayMs);
}

const unavailable = { success: false, error: { code: 'SERVICE_UNAVAILABLE', message: 'down' }, meta: {} };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('SDK service clients against a real Portico', () => {
  let portico: PorticoProc;
  const services: ServiceProc[] = [];
  const clients: ServiceClient[] = [];
  const servers: Counting[] = [];

  function client(service: string, options: ServiceClientOptions = {}): ServiceClient {
    const created = createServiceClient(service, { registry: portico.adminUrl, logger: quiet, ...options });
    clients.push(created);
    return created;
  }

  async function echo(service: string, id: string): Promise<ServiceProc> {
    const proc = await startService('echo-service', portico.adminUrl, { SERVICE_NAME: service, INSTANCE_ID: id });
    services.push(proc);
    return proc;
  }

  async function counting(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Counting> {
    const server = await countingServer(handler);
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    portico = await startPortico();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await portico?.stop();
  });

  it('discovers a new instance within 100 ms and drops a deregistered one as fast', async () => {
    const a = await echo('cl-disc', 'cl-disc-a');
    const disc = client('cl-disc');
    expect(await disc.get<Json>('/hello')).toMatchObject({ instance: 'cl-disc-a', method: 'GET', url: '/hello' });

    const started = performance.now();
    await registerInstance(portico.adminUrl, {
      id: 'cl-disc-b',
      service: 'cl-disc',
      host: '127.0.0.1',
      port: Number(new URL(a.url).port),
    });
    await waitUntil(() => disc.instances().some((i) => i.id === 'cl-disc-b'), 1_000, 2);
    expect(performance.now() - started).toBeLessThan(100);
    const reached = new Set<string | undefined>();
    for (let i = 0; i < 4; i++) reached.add((await disc.request('/x')).instanceId);
    expect(reached).toEqual(new Set(['cl-disc-a', 'cl-disc-b']));

    const leaving = performance.now();
    const removed = await request(`${portico.adminUrl}/v1/registry/instances/cl-disc-b`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await waitUntil(() => !disc.instances().some((i) => i.id === 'cl-disc-b'), 1_000, 2);
    expect(performance.now() - leaving).toBeLessThan(100);
    for (let i = 0; i < 4; i++) expect((await disc.request('/x')).instanceId).toBe('cl-disc-a');
  });

  it('gives a running service clients through its own registry, one per name, closed when it drains', async () => {
    await echo('cl-serve', 'cl-serve-echo');
    const front = await serve({
      service: 'cl-front',
      auth: 'public',
      registry: portico.adminUrl,
      handleSignals: false,
      propagationMs: 0,
      logger: quiet,
      handler: async (req, res) => {
        const data = await front.client('cl-serve').get<Json>('/behind', { from: req });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(ok(data, String(req.headers['x-request-id'] ?? ''))));
      },
    });
    try {
      await front.registered;
      expect(front.client('cl-serve')).toBe(front.client('cl-serve'));
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const { status, body } = await request(`${portico.publicUrl}/api/cl-front/x`, {
        headers: { 'x-request-id': 'front-req-1', traceparent },
      });
      expect(status).toBe(200);
      expect(body.data).toMatchObject({ instance: 'cl-serve-echo', url: '/behind' });
      expect(body.data.headers['x-request-id']).toBe('front-req-1');
      expect(body.data.headers.traceparent).toBe(traceparent);
    } finally {
      await front.close();
    }
    await expect(front.client('cl-serve').get('/x')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('keeps every GET succeeding when an instance is SIGKILLed, retrying on another instance', async () => {
    const procs = await Promise.all(['a', 'b', 'c'].map((x) => echo('cl-kill', `cl-kill-${x}`)));
    const kill = client('cl-kill');
    await waitUntil(() => kill.instances().length === 3, 2_000);
    const failures: string[] = [];
    const answers: { instance: string | undefined; attempts: number; afterKill: boolean }[] = [];
    let killed = false;
    const worker = async () => {
      for (let i = 0; i < 40; i++) {
        try {
          const response = await kill.request('/load');
          answers.push({ instance: response.instanceId, attempts: response.attempts, afterKill: killed });
        } catch (error) {
          failures.push(String(error));
        }
        await sleep(5);
      }
    };
    const load = Promise.all([worker(), worker(), worker()]);
    await waitUntil(() => answers.length >= 15, 5_000, 5);
    await procs[0]?.stop('SIGKILL');
    killed = true;
    await load;
    expect(failures).toEqual([]);
    expect(answers).toHaveLength(120);
    const afterKill = answers.filter((a) => a.afterKill);
    expect(afterKill.every((a) => a.instance !== 'cl-kill-a')).toBe(true);
    // The registry still lists the dead instance (its lease runs 30 s): retries saved those calls.
    expect(kill.instances().some((i) => i.id === 'cl-kill-a')).toBe(true);
    expect(afterKill.some((a) => a.attempts === 2)).toBe(true);
  });

  it('retries a POST whose connection was refused, never one that reached a failing instance', async () => {
    await echo('cl-post', 'cl-post-echo');
    await registerInstance(portico.adminUrl, {
      id: 'cl-post-refused',
      service: 'cl-post',
      host: '127.0.0.1',
      port: await closedPort(),
    });
    const post = client('cl-post');
    await waitUntil(() => post.instances().length === 2, 2_000);
    const refusedRun = [];
    for (let i = 0; i < 4; i++) refusedRun.push(await post.request<Json>('/orders', { method: 'POST', body: { i } }));
    expect(refusedRun.every((r) => r.instanceId === 'cl-post-echo')).toBe(true);
    expect(refusedRun.some((r) => r.attempts === 2)).toBe(true);
    expect(refusedRun.map((r) => JSON.parse(r.data.body).i)).toEqual([0, 1, 2, 3]);

    const failing = await counting((_req, res) => answer(res, 503, unavailable));
    await echo('cl-post2', 'cl-post2-echo');
    await registerInstance(portico.adminUrl, {
      id: 'cl-post2-failing',
      service: 'cl-post2',
      host: '127.0.0.1',
      port: failing.port,
    });
    const post2 = client('cl-post2', { breaker: false });
    await waitUntil(() => post2.instances().length === 2, 2_000);
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await post2.request<Json>('/orders', { method: 'POST' }).catch((e) => e));
    const failed = outcomes.filter((o) => o instanceof Error);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBe(failing.hits);
    expect(failed[0]).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'down' });
    const succeeded = outcomes.filter((o) => !(o instanceof Error));
    expect(succeeded.every((o) => o.attempts === 1 && o.data.headers['x-portico-attempt'] === '1')).toBe(true);
    // The same failing instance on a GET: retried elsewhere, nothing fails.
    for (let i = 0; i < 4; i++) expect((await post2.request('/orders')).instanceId).toBe('cl-post2-echo');
  });

  it('keeps extra attempts within the retry budget when every instance fails', async () => {
    const upstreams = await Promise.all(
      [0, 1, 2].map(() => counting((_req, res) => answer(res, 503, unavailable, 50))),
    );
    await Promise.all(
      upstreams.map((u, i) =>
        registerInstance(portico.adminUrl, {
          id: `cl-budget-${i}`,
          service: 'cl-budget',
          host: '127.0.0.1',
          port: u.port,
        }),
      ),
    );
    // A window longer than the run (the whole run is one window) and a floor of 1 retry a second,
    // so the ratio, not the floor, is what the bound is mostly made of.
    const retry = { attempts: 3, budgetPercent: 20, budgetWindowMs: 60_000, budgetMinRetriesPerSecond: 1 };
    const budgeted = client('cl-budget', { breaker: false, fallback: false, retry });
    await waitUntil(() => budgeted.instances().length === 3, 2_000);
    const N = 30;
    const startedAt = Date.now();
    const outcomes = await Promise.allSettled(Array.from({ length: N }, (_, i) => budgeted.get(`/x/${i}`)));
    const seconds = Math.floor(Date.now() / 1000) - Math.floor(startedAt / 1000) + 1;
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const hits = upstreams.reduce((sum, u) => sum + u.hits, 0);
    const retries = upstreams.reduce((sum, u) => sum + u.retries, 0);
    expect(hits).toBe(N + retries);
    expect(retries).toBeGreaterThan(0);
    // docs/sdk.md: retries ≤ budgetPercent × calls of the window + the floor × the seconds touched.
    expect(retries).toBeLessThanOrEqual(Math.floor((N * 20) / 100) + seconds);
    // Without the budget each call would have tried all three instances.
    expect(hits).toBeLessThan(3 * N);
  });

  it('opens the breaker after its threshold, serves the fallback answer, and closes after healing', async () => {
    let failing = false;
    const upstream = await counting((req, res) =>
      failing
        ? answer(res, 503, unavailable)
        : answer(res, 200, { success: true, data: { url: req.url, at: Date.now() }, meta: {} }),
    );
    await registerInstance(portico.adminUrl, {
      id: 'cl-breaker-1',
      service: 'cl-breaker',
      host: '127.0.0.1',
      port: upstream.port,
    });
    const breaker = client('cl-breaker', { breaker: { failureThreshold: 3, openMs: 300 } });
    await waitUntil(() => breaker.instances().length === 1, 2_000);
    const fresh = await breaker.get<Json>('/item');

    failing = true;
    for (let i = 0; i < 3; i++) {
      const stale = await breaker.request<Json>('/item');
      expect(stale).toMatchObject({ stale: true, data: fresh, attempts: 1 });
    }
    expect(breaker.breakerState).toBe('open');
    const hits = upstream.hits;
    const whileOpen = await breaker.request<Json>('/item');
    expect(whileOpen).toMatchObject({ stale: true, data: fresh, attempts: 0 });
    expect(whileOpen.storedAt?.getTime()).toBeLessThanOrEqual(Date.now());
    await expect(breaker.get('/never-answered')).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: { breaker: 'open' },
    });
    expect(upstream.hits).toBe(hits);

    failing = false;
    await sleep(350);
    const healed = await breaker.request<Json>('/item');
    expect(healed.stale).toBe(false);
    expect(healed.data.at).toBeGreaterThan(fresh.at);
    expect(breaker.breakerState).toBe('closed');
  });
});

describe('SDK service clients while the registry is away', () => {
  const HEARTBEAT_S = 1;
  const TTL_S = 3;
  let registryPort: number;
  let registry: PorticoProc | undefined;
  const services: ServiceProc[] = [];
  let outage: ServiceClient | undefined;

  beforeAll(async () => {
    registryPort = await closedPort();
    registry = await startPortico({ PORTICO_ADMIN_PORT: String(registryPort) }, 'registry');
  });

  afterAll(async () => {
    await outage?.close();
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await registry?.stop();
  });

  it('keeps calling the instances it knows, and reconciles when the registry returns empty', async () => {
    const adminUrl = registry?.adminUrl as string;
    for (const id of ['cl-out-a', 'cl-out-b']) {
      services.push(
        await startService('echo-service', adminUrl, {
          SERVICE_NAME: 'cl-out',
          INSTANCE_ID: id,
          HEARTBEAT_SECONDS: String(HEARTBEAT_S),
          TTL_SECONDS: String(TTL_S),
        }),
      );
    }
    outage = createServiceClient('cl-out', { registry: adminUrl, logger: quiet });
    const known = outage;
    await known.get('/x');
    await waitUntil(() => known.instances().length === 2, 2_000);

    const failures: string[] = [];
    const seenCounts = new Set<number>();
    let running = true;
    const load = (async () => {
      for (let i = 0; i < 2_000 && running; i++) {
        try {
          await known.get('/x');
        } catch (error) {
          failures.push(String(error));
        }
        seenCounts.add(known.instances().length);
        await sleep(10);
      }
    })();

    await registry?.stop('SIGKILL');
    await sleep(500);
    // Killed while the registry is away: it cannot re-register, the client must drop it later.
    await services[1]?.stop('SIGKILL');
    await sleep(1_000);
    expect(
      known
        .instances()
        .map((i) => i.id)
        .sort(),
    ).toEqual(['cl-out-a', 'cl-out-b']);

    registry = await startPortico({ PORTICO_ADMIN_PORT: String(registryPort) }, 'registry');
    // The survivor re-registers within a heartbeat or two; the dead one leaves after its TTL.
    await waitUntil(
      async () => {
        const { body } = await request(`${registry?.adminUrl}/v1/registry/services/cl-out`);
        return body?.data?.instances?.length === 1;
      },
      2 * HEARTBEAT_S * 1_000 + 1_000,
    );
    await waitUntil(() => known.instances().length === 1, (TTL_S + 3) * 1_000, 50);
    expect(known.instances().map((i) => i.id)).toEqual(['cl-out-a']);
    running = false;
    await load;
    expect(failures).toEqual([]);
    expect(seenCounts.has(0)).toBe(false);
  }, 30_000);
});
