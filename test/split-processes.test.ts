import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from './support/bad-upstreams.js';
import { request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

/**
 * Registry and gateway as separate processes (the network adapter of the registry port):
 * the gateway keeps routing through a registry outage and a restart that loses every
 * registration, and the instances re-register by themselves.
 */
describe('split processes: registry outage and empty restart', () => {
  let registryPort: number;
  let registry: PorticoProc;
  let gateway: PorticoProc;
  let services: ServiceProc[];
  const OUTAGE_MS = Number(process.env.PORTICO_TEST_OUTAGE_MS ?? 30_000);
  const HEARTBEAT_S = 2;

  beforeAll(async () => {
    registryPort = await closedPort();
    registry = await startPortico({ PORTICO_ADMIN_PORT: String(registryPort) }, 'registry');
    gateway = await startPortico({ PORTICO_REGISTRY_URL: registry.adminUrl }, 'gateway');
    services = await Promise.all(
      ['split-a', 'split-b'].map((id) =>
        startService('echo-service', registry.adminUrl, {
          INSTANCE_ID: id,
          HEARTBEAT_SECONDS: String(HEARTBEAT_S),
          TTL_SECONDS: String(3 * HEARTBEAT_S),
        }),
      ),
    );
    await waitUntil(async () => (await request(`${gateway.publicUrl}/api/echo/x`)).status === 200, 5_000);
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await gateway.stop();
    await registry.stop();
  });

  it('the registry-only process has no public port, the gateway-only one no registry API', async () => {
    expect(registry.publicUrl).toBe('');
    expect((await request(`${gateway.adminUrl}/v1/registry/services`)).status).toBe(404);
    expect((await request(`${registry.adminUrl}/v1/registry/services`)).status).toBe(200);
  });

  it(
    'serves every request while the registry is down and after it restarts empty',
    async () => {
      let sent = 0;
      const failures: string[] = [];
      const seen = new Set<string>();
      let running = true;
      const load = (async () => {
        while (running) {
          sent++;
          const method = sent % 3 === 0 ? 'POST' : 'GET';
          try {
            const { status, body } = await request(`${gateway.publicUrl}/api/echo/load`, {
              method,
              body: method === 'POST' ? 'payload' : undefined,
            });
            if (status !== 200) failures.push(`${method} ${status} ${JSON.stringify(body)}`);
            else seen.add(body.data.instance);
          } catch (error) {
            failures.push(`${method} ${String(error)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      await registry.stop('SIGKILL');
      await waitUntil(async () => (await request(`${gateway.publicUrl}/health`)).body?.status === 'degraded', 5_000);
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

      registry = await startPortico({ PORTICO_ADMIN_PORT: String(registryPort) }, 'registry');
      // From the moment the new registry answers: that is when instances can re-register.
      const restartedAt = performance.now();
      const reRegistered = await waitUntil(async () => {
        const { body } = await request(`${registry.adminUrl}/v1/registry/services/echo`);
        return (body?.data?.instances?.length ?? 0) === 2;
      }, 10_000);
      const recoveredAt = performance.now() - restartedAt;
      await waitUntil(async () => (await request(`${gateway.publicUrl}/health`)).body?.status === 'healthy', 5_000);
      // Keep the load on past one TTL, so anything kept only for a grace would have gone by now.
      await new Promise((resolve) => setTimeout(resolve, 3 * HEARTBEAT_S * 1000 + 500));
      running = false;
      await load;

      console.log(
        `split-processes: ${sent} requests, ${failures.length} failed; outage ${OUTAGE_MS} ms; ` +
          `all instances re-registered ${Math.round(reRegistered)} ms after the restart`,
      );
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThan(100);
      expect([...seen].sort()).toEqual(['split-a', 'split-b']);
      expect(recoveredAt).toBeLessThanOrEqual(2 * HEARTBEAT_S * 1000);
    },
    OUTAGE_MS + 40_000,
  );
});
