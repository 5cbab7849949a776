/**
 * Login throttling shared between two real `portico start` processes on one redis-server: wrong
 * passwords sent to one lock the account on the other. Each process has its own embedded store
 * (the same first admin, from PORTICO_ADMIN_PASSWORD): the throttle keys on tenant/username and
 * address, so the shared Redis is all they have in common. With Redis killed, logins go on
 * (counted per process) and never answer 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, request, waitUntil } from './support/http.js';
import { type PorticoProc, startPortico } from './support/processes.js';
import { type RedisServer, startRedis } from './support/redis.js';

const PASSWORD = 'throttle-process-admin-password';
const MAX_FAILURES = 3;

const login = (portico: PorticoProc, password: string) =>
  postJson(`${portico.publicUrl}/auth/login`, { tenant: 'platform', username: 'admin', password });
const dependency = async (portico: PorticoProc, name: string) =>
  (await request(`${portico.publicUrl}/health`)).body?.dependencies?.[name];

describe('login throttle across identity processes', () => {
  let redis: RedisServer;
  let one: PorticoProc;
  let two: PorticoProc;

  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      PORTICO_ADMIN_PASSWORD: PASSWORD,
      PORTICO_REDIS_URL: redis.url,
      PORTICO_LOGIN_THROTTLE_STORE: 'redis',
      PORTICO_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
    };
    [one, two] = await Promise.all([startPortico(env), startPortico(env)]);
    for (const portico of [one, two])
      await waitUntil(async () => (await dependency(portico, 'throttle')) === 'healthy');
  }, 120_000);
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await redis?.stop();
  });

  it('locks the account on the second process after failures on the first', async () => {
    expect((await login(two, PASSWORD)).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login(one, 'not-the-password')).status).toBe(401);
    const locked = await login(two, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('goes on counting per process while Redis is down: degraded, never a 500', async () => {
    await redis.stop();
    await waitUntil(async () => (await dependency(one, 'throttle')) === 'degraded');
    // The lock lived in Redis; each process now counts on its own, from zero.
    expect((await login(one, PASSWORD)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES + 1; i++) statuses.push((await login(one, 'not-the-password')).status);
    expect(statuses).toEqual([...Array(MAX_FAILURES).fill(401), 429]);
    // The other process has not seen those failures.
    expect((await login(two, PASSWORD)).status).toBe(200);
  });
});
