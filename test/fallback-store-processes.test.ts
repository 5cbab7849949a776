/**
 * The fallback cache shared by two real gateway processes through one redis-server: an answer
 * that went through one gateway is served, stale, by the other once the service has died, though
 * the other never saw it. Without the shared store, the second gateway has nothing to serve.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';
import { type RedisServer, startRedis } from './support/redis.js';

const CONFIG = [
  'services:',
  '  echo:',
  '    retries: { attempts: 1 }',
  '    fallbackCache: { enabled: true }',
  '',
].join('\n');

describe('fallback cache across gateways', () => {
  let redis: RedisServer;
  let registry: PorticoProc;
  let gateways: PorticoProc[];
  let service: ServiceProc;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-fallback-'));
    const config = join(dir, 'portico.yaml');
    writeFileSync(config, CONFIG);
    redis = await startRedis();
    registry = await startPortico({ PORTICO_CONFIG: config }, 'registry');
    const shared = {
      PORTICO_CONFIG: config,
      PORTICO_REGISTRY_URL: registry.adminUrl,
      PORTICO_REDIS_URL: redis.url,
      PORTICO_FALLBACK_STORE: 'redis',
    };
    [gateways, service] = await Promise.all([
      Promise.all([
        startPortico(shared, 'gateway'),
        startPortico(shared, 'gateway'),
        // The control: the memory store.
        startPortico({ PORTICO_CONFIG: config, PORTICO_REGISTRY_URL: registry.adminUrl }, 'gateway'),
      ]),
      startService('echo-service', registry.adminUrl, { SERVICE_NAME: 'echo' }),
    ]);
    for (const gateway of gateways) {
      await waitUntil(async () => (await request(`${gateway.publicUrl}/api/echo/ready`)).status === 200, 10_000);
    }
    for (const gateway of gateways.slice(0, 2)) {
      await waitUntil(
        async () => (await request(`${gateway.publicUrl}/health`)).body?.dependencies?.fallback === 'healthy',
      );
    }
  }, 90_000);
  afterAll(async () => {
    await service?.stop('SIGKILL');
    await Promise.all((gateways ?? []).map((gateway) => gateway.stop()));
    await registry?.stop();
    await redis?.stop();
  });

  it('serves on the second gateway the answer kept through the first, when the service is gone', async () => {
    const [one, two, alone] = gateways as [PorticoProc, PorticoProc, PorticoProc];
    const fresh = await request(`${one.publicUrl}/api/echo/catalog?page=1`);
    expect(fresh.status).toBe(200);
    // Written behind, once a second (gateway.fallbackStore.flushMs): give it two.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await service.stop('SIGKILL');

    const stale = await request(`${two.publicUrl}/api/echo/catalog?page=1`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-portico-cache')).toBe('stale');
    expect(stale.text).toBe(fresh.text);
    // The memory-store gateway never saw the answer: it has nothing to fall back on.
    const none = await request(`${alone.publicUrl}/api/echo/catalog?page=1`);
    expect(none.status).toBeGreaterThanOrEqual(500);
    expect(none.headers.get('x-portico-cache')).toBeNull();
  });
});
