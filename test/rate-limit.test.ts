/**
 * Gateway rate limits with real processes and real HTTP: one gateway with the memory store is
 * exact; two gateways sharing a real Redis enforce one limit under concurrent load; when Redis
 * dies under traffic they keep serving, limit locally and say so in /health, and share again once
 * it is back. Every phase sends from its own loopback address (127.0.0.x), so each starts with a
 * fresh per-address budget.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../packages/portico/src/config/load.js';
import { type Json, request, waitUntil } from './support/http.js';
import {
  PORTICO_BIN,
  type PorticoProc,
  type ServiceProc,
  spawnNode,
  startPortico,
  startService,
} from './support/processes.js';
import { type RedisServer, startRedis } from './support/redis.js';

const LIMIT = 500;
const CONFIG = `
services:
  echo:
    policies:
      rateLimit: { limit: ${LIMIT}, windowSeconds: 3600, by: ip }
  slide:
    policies:
      rateLimit: { limit: ${LIMIT}, windowSeconds: 3600, by: ip, algorithm: sliding-window }
`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Json;
  ms: number;
}

/** What a run of requests got back. */
interface Tally {
  byStatus: Record<number, number>;
  errors: string[];
  first: Partial<Record<number, Answer>>;
  slowestMs: number;
}

/**
 * Sends `total` GETs from `from` (a loopback address), `concurrency` at a time, spread over
 * `urls` in turn; each answer is read whole.
 */
async function blast(urls: string[], total: number, concurrency: number, from: string): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, localAddress: from });
  const tally: Tally = { byStatus: {}, errors: [], first: {}, slowestMs: 0 };
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const url = urls[next++ % urls.length] as string;
      try {
        const answer = await get(url, agent);
        tally.byStatus[answer.status] = (tally.byStatus[answer.status] ?? 0) + 1;
        tally.first[answer.status] ??= answer;
        tally.slowestMs = Math.max(tally.slowestMs, answer.ms);
      } catch (error) {
        tally.errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return tally;
}

function get(url: string, agent: Agent): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        let body: Json = null;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const dependency = async (gateway: PorticoProc, name: string) =>
  (await request(`${gateway.publicUrl}/health`)).body?.dependencies?.[name];

describe('gateway rate limits', () => {
  let redis: RedisServer;
  let registry: PorticoProc;
  let shared: [PorticoProc, PorticoProc];
  let single: PorticoProc;
  let services: ServiceProc[];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-rate-limit-'));
    const config = join(dir, 'portico.yaml');
    writeFileSync(config, CONFIG);
    redis = await startRedis();
    registry = await startPortico({ PORTICO_CONFIG: config }, 'registry');
    // The timeout is generous for a busy two-core test machine: a late answer counts locally.
    const viaRedis = {
      PORTICO_CONFIG: config,
      PORTICO_REGISTRY_URL: registry.adminUrl,
      PORTICO_REDIS_URL: redis.url,
      PORTICO_REDIS_TIMEOUT_MS: '1000',
    };
    [shared, single, services] = await Promise.all([
      Promise.all([startPortico(viaRedis, 'gateway'), startPortico(viaRedis, 'gateway')]),
      startPortico({ PORTICO_CONFIG: config, PORTICO_REGISTRY_URL: registry.adminUrl }, 'gateway'),
      Promise.all(
        ['echo', 'slide'].map((name) => startService('echo-service', registry.adminUrl, { SERVICE_NAME: name })),
      ),
    ]);
    for (const gateway of [...shared, single]) {
      for (const service of ['echo', 'slide']) {
        await waitUntil(
          async () => (await request(`${gateway.publicUrl}/api/${service}/ready`)).status === 200,
          10_000,
        );
      }
    }
    for (const gateway of shared) await waitUntil(async () => (await dependency(gateway, 'ratelimit')) === 'healthy');
  }, 90_000);

  afterAll(async () => {
    await Promise.all((services ?? []).map((s) => s.stop('SIGKILL')));
    await Promise.all([...(shared ?? []), single].filter(Boolean).map((g) => g.stop()));
    await registry?.stop();
    await redis?.stop();
  });

  it('memory store: one gateway lets exactly the limit through, with the headers and the 429 envelope', async () => {
    const tally = await blast([`${single.publicUrl}/api/echo/x`], 2 * LIMIT, 32, '127.0.0.2');
    expect(tally.errors).toEqual([]);
    expect(tally.byStatus).toEqual({ 200: LIMIT, 429: LIMIT });
    expect(await dependency(single, 'ratelimit')).toBeUndefined();

    const passed = tally.first[200] as Answer;
    expect(passed.headers['ratelimit-limit']).toBe(String(LIMIT));
    expect(passed.headers['ratelimit-policy']).toBe(`${LIMIT};w=3600`);
    expect(Number(passed.headers['ratelimit-remaining'])).toBeLessThan(LIMIT);
    expect(Number(passed.headers['ratelimit-reset'])).toBeGreaterThan(0);

    const refused = tally.first[429] as Answer;
    expect(refused.body).toMatchObject({
      success: false,
      error: { code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } },
      meta: { requestId: expect.any(String) },
    });
    expect(refused.body.error.message).toMatch(/limit is 500 per 3600 s for each address; retry in \d+ s/);
    // GCRA at 500 an hour: the next request fits 7.2 s after the bucket emptied.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(8);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit-limit']).toBe(String(LIMIT));
    // The whole hour, less what passed since the bucket emptied.
    expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThan(3_580);
    expect(Number(refused.headers['ratelimit-reset'])).toBeLessThanOrEqual(3_600);
  });

  it.each([
    ['gcra', 'echo', '127.0.0.3'],
    ['sliding window', 'slide', '127.0.0.4'],
  ])('two gateways sharing Redis enforce one limit under concurrent load (%s)', async (_name, service, from) => {
    const started = performance.now();
    const tally = await blast(
      shared.map((g) => `${g.publicUrl}/api/${service}/x`),
      4 * LIMIT,
      64,
      from,
    );
    const ms = Math.round(performance.now() - started);
    const passed = tally.byStatus[200] ?? 0;
    const deviation = ((passed - LIMIT) / LIMIT) * 100;
    console.log(
      `rate-limit (${service}): ${4 * LIMIT} requests over 2 gateways, 64 concurrent, in ${ms} ms: ` +
        `${passed} passed for a limit of ${LIMIT} (${deviation.toFixed(2)} %), ${tally.byStatus[429] ?? 0} refused`,
    );
    expect(tally.errors).toEqual([]);
    expect(Object.keys(tally.byStatus).sort()).toEqual(['200', '429']);
    expect(Math.abs(deviation)).toBeLessThanOrEqual(2);
  });

  it('keeps serving through a Redis outage, limits locally, says so, and shares again after', async () => {
    const [a, b] = shared;
    const echo = (g: PorticoProc) => `${g.publicUrl}/api/echo/x`;
    // Some of the shared budget of 127.0.0.5 is spent before the outage.
    expect((await blast([echo(a), echo(b)], 60, 4, '127.0.0.5')).byStatus).toEqual({ 200: 60 });

    // Traffic throughout: from another address, through both gateways, bounded in count.
    const background = blast([echo(a), echo(b)], 3_000, 4, '127.0.0.6');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.stop('SIGKILL');
    const detected = await waitUntil(
      async () =>
        (await dependency(a, 'ratelimit')) === 'degraded' && (await dependency(b, 'ratelimit')) === 'degraded',
      5_000,
    );
    expect((await request(`${a.publicUrl}/health`)).body.status).toBe('degraded');

    // Each gateway now counts on its own, exactly: a fresh address gets the limit at each.
    const localA = await blast([echo(a)], LIMIT + 100, 16, '127.0.0.7');
    const localB = await blast([echo(b)], LIMIT + 100, 16, '127.0.0.7');
    expect(localA.byStatus).toEqual({ 200: LIMIT, 429: 100 });
    expect(localB.byStatus).toEqual({ 200: LIMIT, 429: 100 });

    redis = await startRedis(redis.port);
    const recovered = await waitUntil(
      async () => (await dependency(a, 'ratelimit')) === 'healthy' && (await dependency(b, 'ratelimit')) === 'healthy',
      10_000,
    );
    const after = await background;
    // Shared again: one limit across both gateways (the restarted Redis starts from zero).
    const sharedAgain = await blast([echo(a), echo(b)], 2 * LIMIT, 32, '127.0.0.8');
    expect(sharedAgain.byStatus).toEqual({ 200: LIMIT, 429: LIMIT });

    console.log(
      `rate-limit outage: degraded seen after ${Math.round(detected)} ms, healthy ${Math.round(recovered)} ms after ` +
        `the restart; background ${JSON.stringify(after.byStatus)}, slowest ${Math.round(after.slowestMs)} ms`,
    );
    expect(after.errors).toEqual([]);
    expect(Object.keys(after.byStatus).every((status) => status === '200' || status === '429')).toBe(true);
    expect(after.slowestMs).toBeLessThan(2_000);
  }, 60_000);
});

describe('rate-limit configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-rate-limit-config-'));
  const load = (yaml: string, env: Record<string, string> = {}) => {
    const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    return () => loadConfig({ file, env });
  };

  it("reads a service's limit and the store settings", () => {
    const config = load(CONFIG, { PORTICO_REDIS_URL: 'redis://127.0.0.1:6379', PORTICO_REDIS_TIMEOUT_MS: '50' })();
    expect(config.services.echo?.policies).toEqual({ rateLimit: { limit: LIMIT, windowSeconds: 3600, by: 'ip' } });
    expect(config.gateway.rateLimit).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      redisTimeoutMs: 50,
      prefix: 'portico:rl:',
      maxKeys: 100_000,
    });
  });

  it.each([
    [
      'services:\n  echo:\n    policies:\n      rateLimit:\n        limit: 0\n        windowSeconds: 60\n',
      /:5:9: services\.echo\.policies\.rateLimit\.limit must be >= 1$/,
    ],
    [
      'services:\n  echo:\n    policies:\n      rateLimit: { limit: 5, windowSeconds: 60, by: user }\n',
      /:4:\d+: services\.echo\.policies\.rateLimit\.by must be one of: consumer, tenant, ip$/,
    ],
    [
      'services:\n  echo:\n    policies:\n      rateLimit: { limit: 5, windowSeconds: 60, algorithm: sliding-window, burst: 9 }\n',
      /services\.echo\.policies\.rateLimit\.burst is for the gcra algorithm only/,
    ],
    [
      'services:\n  echo:\n    policies:\n      ratelimit: { limit: 5 }\n',
      /:4:7: services\.echo\.policies\.ratelimit is not a known policy; known: .*rateLimit/,
    ],
    [
      'gateway:\n  rateLimit:\n    store: redis\n',
      /:3:5: gateway\.rateLimit\.store is redis, so gateway\.rateLimit\.redisUrl must be set/,
    ],
    ['gateway:\n  rateLimit:\n    redisUrl: localhost:6379\n', /:3:5: gateway\.rateLimit\.redisUrl must match pattern/],
  ])('refuses bad settings with the file, line and key: %#', (yaml, message) => {
    expect(load(yaml)).toThrow(ConfigError);
    expect(load(yaml)).toThrow(message);
  });

  it('stops `portico start` with exit code 2 and one line on stderr', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'services:\n  echo:\n    policies:\n      rateLimit: { limit: 5 }\n');
    const proc = spawnNode([PORTICO_BIN, 'start', 'gateway'], { PORTICO_CONFIG: file });
    expect(await proc.exited).toBe(2);
    expect(proc.lines.join('\n')).toMatch(
      /portico: configuration error: .*bad\.yaml:4:\d+: services\.echo\.policies\.rateLimit\.windowSeconds is required/,
    );
  });
});
