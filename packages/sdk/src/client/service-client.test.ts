/**
 * The policies composed, against real sockets: in-process HTTP upstreams on loopback port 0 and
 * a fixed instance list in place of the registry watch.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PorticoError } from '../errors.js';
import type { Instance } from '../registry-types.js';
import type { InstanceSource } from './discovery.js';
import { ResilientClient } from './service-client.js';
import type { ServiceClientOptions } from './types.js';

interface Upstream {
  instance: Instance;
  /** Requests received, with their attempt header. */
  hits: { method: string; url: string; attempt: number; headers: IncomingMessage['headers'] }[];
  /** Highest number of retries (attempt > 1) in progress at once. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const servers = new Set<Server>();

afterEach(async () => {
  await Promise.all([...servers].map((server) => closeServer(server)));
  servers.clear();
});

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function instance(id: string, port: number, extra: Partial<Instance> = {}): Instance {
  return {
    id,
    service: 'orders',
    host: '127.0.0.1',
    port,
    basePath: '/',
    version: '1.0.0',
    tags: [],
    weight: 1,
    metadata: {},
    auth: 'any',
    endpoints: [],
    ttlSeconds: 30,
    status: 'up',
    registeredAt: '',
    lastHeartbeat: '',
    leaseExpiresAt: '',
    revision: 1,
    ...extra,
  };
}

/** A real HTTP server on loopback whose behaviour is `handler`; `hits` notes each try's attempt number. */
async function upstream(id: string, handler: Handler, extra: Partial<Instance> = {}): Promise<Upstream> {
  const hits: Upstream['hits'] = [];
  const server = createServer(async (req, res) => {
    for await (const _ of req);
    const attempt = Number(req.headers['x-portico-attempt'] ?? 0);
    hits.push({ method: req.method ?? '', url: req.url ?? '', attempt, headers: req.headers });
    await handler(req, res);
  });
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    instance: instance(id, port, extra),
    hits,
    close: async () => {
      servers.delete(server);
      await closeServer(server);
    },
  };
}

/** A port nothing listens on. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function json(status: number, body: unknown, delayMs = 0): Handler {
  return async (_req, res) => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

const okEnvelope = (data: unknown) => ({ success: true, data, meta: { requestId: 'r', timestamp: 't' } });
const errorEnvelope = (code: string, message = code) => ({
  success: false,
  error: { code, message },
  meta: { requestId: 'r', timestamp: 't' },
});
const healthy = (name: string) => json(200, okEnvelope({ from: name }));
const unavailable = (delayMs = 0) => json(503, errorEnvelope('SERVICE_UNAVAILABLE', 'down'), delayMs);

function fixed(list: Instance[]): InstanceSource & { list: Instance[] } {
  return { list, instances: () => list, ready: async () => true, release() {} };
}

function client(list: Instance[], options: ServiceClientOptions = {}) {
  const source = fixed(list);
  return { source, client: new ResilientClient('orders', source, { timeoutMs: 1_000, ...options }) };
}

async function rejection(promise: Promise<unknown>): Promise<PorticoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PorticoError);
  return error as PorticoError;
}

describe('ResilientClient: answers and headers', () => {
  it('returns the envelope data, or a body that is not an envelope as it came', async () => {
    const up = await upstream('a', (req, res) => {
      if (req.url === '/plain') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[1,2]');
      } else if (req.url === '/text') {
        res.end('hello');
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else {
        json(200, okEnvelope({ id: 42 }))(req, res);
      }
    });
    const { client: orders } = client([up.instance]);
    expect(await orders.get('/orders/42')).toEqual({ id: 42 });
    expect(await orders.get('/plain')).toEqual([1, 2]);
    expect(await orders.get('/text')).toBe('hello');
    expect(await orders.delete('/empty')).toBeUndefined();
    const full = await orders.request('/orders/42');
    expect(full).toMatchObject({ data: { id: 42 }, status: 200, instanceId: 'a', attempts: 1, stale: false });
  });

  it('sends the path under the base path, the query, and a JSON body', async () => {
    const up = await upstream('a', (req, res) => {
      json(200, okEnvelope({ url: req.url, type: req.headers['content-type'] }))(req, res);
    });
    up.instance.basePath = '/v1';
    const { client: orders } = client([up.instance]);
    const data = await orders.post('/orders', {
      query: { tag: ['a', 'b'], page: 2, skip: undefined },
      body: { item: 'book' },
    });
    expect(data).toEqual({ url: '/v1/orders?tag=a&tag=b&page=2', type: 'application/json' });
  });

  it('propagates x-request-id and traceparent from the incoming request, the same on every try', async () => {
    const failing = await upstream('bad', unavailable());
    const good = await upstream('good', healthy('good'));
    const { client: orders } = client([failing.instance, good.instance]);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (let i = 0; i < 2; i++) {
      await orders.get('/x', { from: { headers: { 'x-request-id': 'req-1', traceparent, tracestate: 'k=v' } } });
    }
    const all = [...failing.hits, ...good.hits];
    expect(all.length).toBe(3);
    for (const hit of all) {
      expect(hit.headers['x-request-id']).toBe('req-1');
      expect(hit.headers.traceparent).toBe(traceparent);
      expect(hit.headers.tracestate).toBe('k=v');
    }
    // Without one given, a request id is made up once per call and shared by its tries.
    failing.hits.length = 0;
    good.hits.length = 0;
    await orders.get('/y');
    await orders.get('/y');
    const ids = [...failing.hits, ...good.hits].map((hit) => hit.headers['x-request-id']);
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  });

  it('throws the PorticoError the service answered with, rebuilt, and retries no 4xx', async () => {
    const notFound = json(404, {
      ...errorEnvelope('NOT_FOUND', 'order 7 does not exist'),
      error: { code: 'NOT_FOUND', message: 'order 7 does not exist', details: { id: 7 } },
    });
    const a = await upstream('a', notFound);
    const b = await upstream('b', notFound);
    const { client: orders } = client([a.instance, b.instance], { breaker: { failureThreshold: 1 } });
    const error = await rejection(orders.get('/orders/7'));
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      message: 'order 7 does not exist',
      details: { id: 7 },
    });
    expect(a.hits.length + b.hits.length).toBe(1);
    // Not a service failure: the breaker stays closed.
    expect(orders.breakerState).toBe('closed');
  });

  it('goes round-robin over the instances', async () => {
    const ups = await Promise.all(['a', 'b', 'c'].map((id) => upstream(id, healthy(id))));
    const { client: orders } = client(ups.map((u) => u.instance));
    const from = [];
    for (let i = 0; i < 6; i++) from.push((await orders.get<{ from: string }>('/x')).from);
    expect(from.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });
});

describe('ResilientClient: timeouts and retries', () => {
  it('times a slow try out and retries a GET on another instance', async () => {
    const slow = await upstream('slow', json(200, okEnvelope({ from: 'slow' }), 500));
    const fast = await upstream('fast', healthy('fast'));
    const { client: orders } = client([slow.instance, fast.instance], { timeoutMs: 100, breaker: false });
    const answers = await Promise.all([orders.request('/x'), orders.request('/x')]);
    expect(answers.map((a) => a.data)).toEqual([{ from: 'fast' }, { from: 'fast' }]);
    expect(answers.some((a) => a.attempts === 2)).toBe(true);
    // With nowhere else to go, the timeout is the answer.
    const { client: alone } = client([slow.instance], { timeoutMs: 100 });
    const started = performance.now();
    const error = await rejection(alone.get('/x'));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('retries a POST that never reached an instance (connection refused)', async () => {
    const good = await upstream('good', healthy('good'));
    const refused = instance('refused', await refusedPort());
    const { client: orders } = client([refused, good.instance]);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await orders.request('/orders', { method: 'POST', body: { i } }));
    expect(answers.every((a) => a.instanceId === 'good')).toBe(true);
    expect(answers.some((a) => a.attempts === 2)).toBe(true);
    expect(good.hits.length).toBe(4);
  });

  it('does not retry a POST that reached a failing instance, unless declared idempotent', async () => {
    const failing = await upstream('failing', unavailable());
    const good = await upstream('good', healthy('good'));
    const { client: orders } = client([failing.instance, good.instance], { breaker: false });
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => orders.post('/orders')));
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed.length).toBe(failing.hits.length);
    expect(failed.length).toBeGreaterThan(0);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(good.hits.every((hit) => hit.attempt === 1)).toBe(true);

    // A fresh client: the first one now tries the failing instance last.
    failing.hits.length = 0;
    const { client: fresh } = client([failing.instance, good.instance], { breaker: false });
    const again = await Promise.all(
      Array.from({ length: 4 }, () => fresh.request('/orders', { method: 'POST', idempotent: true })),
    );
    expect(again.every((answer) => answer.instanceId === 'good')).toBe(true);
    expect(failing.hits.length).toBeGreaterThan(0);
    expect(again.filter((answer) => answer.attempts === 2)).toHaveLength(failing.hits.length);
  });

  it('retries a GET on 502/503/504 but not on a 500 INTERNAL_ERROR, a bug every instance shares', async () => {
    const bug = json(500, errorEnvelope('INTERNAL_ERROR'));
    const a = await upstream('a', bug);
    const b = await upstream('b', bug);
    const { client: orders } = client([a.instance, b.instance], { breaker: false });
    expect((await rejection(orders.get('/x'))).code).toBe('INTERNAL_ERROR');
    expect(a.hits.length + b.hits.length).toBe(1);
  });

  it('retries only to instances the call has not tried, at most attempts − 1 times', async () => {
    const ups = await Promise.all(['a', 'b', 'c', 'd'].map((id) => upstream(id, unavailable())));
    const { client: orders } = client(
      ups.map((u) => u.instance),
      { breaker: false, retry: { attempts: 3 } },
    );
    expect((await rejection(orders.get('/x'))).code).toBe('SERVICE_UNAVAILABLE');
    const hit = ups.filter((u) => u.hits.length > 0);
    expect(hit).toHaveLength(3);
    expect(hit.every((u) => u.hits.length === 1)).toBe(true);

    const single = await upstream('single', unavailable());
    const { client: alone } = client([single.instance], { breaker: false });
    await rejection(alone.get('/x'));
    expect(single.hits).toHaveLength(1);
  });

  it('keeps the retries within the budget when every instance fails: 20% of the calls plus the floor', async () => {
    const N = 40;
    const ups = await Promise.all(['a', 'b', 'c'].map((id) => upstream(id, unavailable(30))));
    const { client: orders } = client(
      ups.map((u) => u.instance),
      {
        breaker: false,
        fallback: false,
        retry: { attempts: 3, backoffBaseMs: 1, backoffMaxMs: 5, budgetPercent: 20, budgetMinRetriesPerSecond: 2 },
      },
    );
    const startedAt = Date.now();
    const outcomes = await Promise.allSettled(Array.from({ length: N }, (_, i) => orders.get(`/x/${i}`)));
    const seconds = Math.floor(Date.now() / 1_000) - Math.floor(startedAt / 1_000) + 1;
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const retries = ups.reduce((sum, u) => sum + u.hits.filter((hit) => hit.attempt > 1).length, 0);
    expect(ups.reduce((sum, u) => sum + u.hits.length, 0)).toBe(N + retries);
    expect(retries).toBeGreaterThan(0);
    // Without a budget every call would try all three instances: 2 × N retries.
    expect(retries).toBeLessThanOrEqual(0.2 * N + 2 * seconds);
  });

  it('absorbs a burst: when one instance of three fails, every call in flight is retried elsewhere', async () => {
    let failing = false;
    const flaky = await upstream('flaky', (req, res) =>
      failing ? unavailable(20)(req, res) : json(200, okEnvelope({ from: 'flaky' }), 20)(req, res),
    );
    const others = await Promise.all(['b', 'c'].map((id) => upstream(id, json(200, okEnvelope({ from: id }), 20))));
    const { client: orders } = client(
      [flaky.instance, ...others.map((u) => u.instance)],
      // No floor: the calls of the seconds before pay for the burst's retries.
      { breaker: false, fallback: false, retry: { budgetPercent: 20, budgetMinRetriesPerSecond: 0 } },
    );
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 30 }, () => orders.get('/x')));
    failing = true;
    flaky.hits.length = 0;
    const answers = await Promise.all(Array.from({ length: 30 }, () => orders.request('/x')));
    // A third of the 30 in flight failed at once; the in-flight budget it replaces retried max(3, 6).
    expect(flaky.hits.length).toBeGreaterThanOrEqual(10);
    expect(answers.every((answer) => answer.instanceId !== 'flaky' && answer.status === 200)).toBe(true);
  });

  it('lets every call retry when the budget is generous', async () => {
    const N = 10;
    const ups = await Promise.all(['a', 'b', 'c'].map((id) => upstream(id, unavailable(10))));
    const { client: orders } = client(
      ups.map((u) => u.instance),
      { breaker: false, retry: { attempts: 3, budgetMinRetriesPerSecond: 100, backoffBaseMs: 1, backoffMaxMs: 5 } },
    );
    await Promise.allSettled(Array.from({ length: N }, () => orders.get('/x')));
    expect(ups.reduce((sum, u) => sum + u.hits.length, 0)).toBe(3 * N);
  });

  it('answers SERVICE_UNAVAILABLE at once when no instance is known', async () => {
    const { client: orders } = client([]);
    const error = await rejection(orders.get('/x'));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toContain('no instance of orders');
  });

  it('gives up at the total timeout, and hands back the caller abort reason', async () => {
    const slow = await upstream('slow', json(200, okEnvelope('late'), 1_000));
    const { client: orders } = client([slow.instance], { timeoutMs: 5_000, totalTimeoutMs: 150 });
    const error = await rejection(orders.get('/x'));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    const controller = new AbortController();
    const call = orders.get('/x', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller went away')), 50);
    await expect(call).rejects.toThrow('caller went away');
    // Even with a good answer cached, a cancelled call is not answered from the cache.
    let delayMs = 0;
    const turning = await upstream('turning', (req, res) => json(200, okEnvelope('fresh'), delayMs)(req, res));
    const { client: cached } = client([turning.instance], { timeoutMs: 5_000, breaker: false });
    expect(await cached.get('/y')).toBe('fresh');
    delayMs = 1_000;
    const cancel = new AbortController();
    const cancelled = cached.get('/y', { signal: cancel.signal });
    setTimeout(() => cancel.abort(new Error('cancelled by caller')), 50);
    await expect(cancelled).rejects.toThrow('cancelled by caller');
  });
});

describe('ResilientClient: breaker and fallback', () => {
  it('opens after the threshold, answers at once while open, probes after the pause and closes on success', async () => {
    let failing = true;
    const up = await upstream('a', (req, res) => (failing ? unavailable() : healthy('a'))(req, res));
    const { client: orders } = client([up.instance], { breaker: { failureThreshold: 3, openMs: 200 } });
    for (let i = 0; i < 3; i++) expect((await rejection(orders.post('/x'))).code).toBe('SERVICE_UNAVAILABLE');
    expect(orders.breakerState).toBe('open');
    const hits = up.hits.length;
    const open = await rejection(orders.post('/x'));
    expect(open).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { service: 'orders', breaker: 'open' } });
    expect(up.hits.length).toBe(hits);

    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await orders.post('/x')).toEqual({ from: 'a' });
    expect(orders.breakerState).toBe('closed');
  });

  it('serves the last good GET answer, marked stale, when every instance fails or the breaker is open', async () => {
    let failing = false;
    let version = 0;
    const handler: Handler = (req, res) => (failing ? unavailable() : json(200, okEnvelope({ version })))(req, res);
    const a = await upstream('a', handler);
    const b = await upstream('b', handler);
    const { client: orders } = client([a.instance, b.instance], { breaker: { failureThreshold: 2, openMs: 60_000 } });
    version = 1;
    expect(await orders.get('/item')).toEqual({ version: 1 });

    failing = true;
    const stale = await orders.request('/item');
    expect(stale).toMatchObject({ data: { version: 1 }, stale: true, instanceId: undefined, attempts: 2 });
    expect(stale.storedAt).toBeInstanceOf(Date);
    // A path never answered has nothing to fall back on.
    expect((await rejection(orders.get('/other'))).code).toBe('SERVICE_UNAVAILABLE');
    expect(orders.breakerState).toBe('open');
    const hits = a.hits.length + b.hits.length;
    const whileOpen = await orders.request('/item');
    expect(whileOpen).toMatchObject({ data: { version: 1 }, stale: true, attempts: 0 });
    expect(a.hits.length + b.hits.length).toBe(hits);
    // Asked not to, or for another method, it fails instead.
    expect((await rejection(orders.get('/item', { fallback: false }))).code).toBe('SERVICE_UNAVAILABLE');
    expect((await rejection(orders.put('/item'))).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('keeps answers apart by caller headers, and never serves a stale answer for a 4xx', async () => {
    let status = 200;
    const up = await upstream('a', (req, res) =>
      status === 200
        ? json(200, okEnvelope({ tenant: req.headers['x-tenant-id'] }))(req, res)
        : json(status, errorEnvelope(status === 404 ? 'NOT_FOUND' : 'SERVICE_UNAVAILABLE'))(req, res),
    );
    const { client: orders } = client([up.instance], { breaker: false });
    await orders.get('/me', { headers: { 'x-tenant-id': 't1' } });
    status = 503;
    expect(await orders.get('/me', { headers: { 'x-tenant-id': 't1' } })).toEqual({ tenant: 't1' });
    expect((await rejection(orders.get('/me', { headers: { 'x-tenant-id': 't2' } }))).code).toBe('SERVICE_UNAVAILABLE');
    status = 404;
    expect((await rejection(orders.get('/me', { headers: { 'x-tenant-id': 't1' } }))).code).toBe('NOT_FOUND');
  });

  it('serves a stale answer when the service has no instance left', async () => {
    const up = await upstream('a', healthy('a'));
    const { source, client: orders } = client([up.instance]);
    await orders.get('/item');
    source.list.length = 0;
    expect(await orders.request('/item')).toMatchObject({ data: { from: 'a' }, stale: true });
  });

  it('refuses calls once closed', async () => {
    const { client: orders } = client([]);
    await orders.close();
    expect((await rejection(orders.get('/x'))).message).toContain('closed');
  });
});
