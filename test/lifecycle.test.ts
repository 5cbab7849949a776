import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

describe('leases', () => {
  let portico: PorticoProc;
  let survivor: ServiceProc;

  beforeAll(async () => {
    portico = await startPortico();
    survivor = await startService('echo-service', portico.adminUrl, {
      INSTANCE_ID: 'keep-1',
      HEARTBEAT_SECONDS: '1',
      TTL_SECONDS: '3',
    });
  });
  afterAll(async () => {
    await survivor.stop('SIGKILL');
    await portico.stop();
  });

  it('removes a SIGKILLed instance that stops heartbeating within its TTL, and stops routing to it', async () => {
    const victim = await startService('echo-service', portico.adminUrl, {
      INSTANCE_ID: 'kill-1',
      HEARTBEAT_SECONDS: '1',
      TTL_SECONDS: '3',
    });
    await victim.stop('SIGKILL');
    const killedAt = performance.now();
    const listed = async () => {
      const { body } = await request(`${portico.adminUrl}/v1/registry/services/echo`);
      return body.data.instances.map((i: { id: string }) => i.id) as string[];
    };
    expect(await listed()).toContain('kill-1');
    await waitUntil(async () => !(await listed()).includes('kill-1'), 5_000, 50);
    const removedAfter = performance.now() - killedAt;
    // The lease was renewed at most one heartbeat (1 s) before the kill, so it ends within the 3 s TTL.
    expect(removedAfter).toBeLessThanOrEqual(3_100);
    expect(await listed()).toEqual(['keep-1']);
    for (let i = 0; i < 5; i++) {
      const { status, body } = await request(`${portico.publicUrl}/api/echo/x`);
      expect(status).toBe(200);
      expect(body.data.instance).toBe('keep-1');
    }
  });

  it('keeps a heartbeating instance well past its TTL', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const { body } = await request(`${portico.adminUrl}/v1/registry/services/echo`);
    const instance = body.data.instances.find((i: { id: string }) => i.id === 'keep-1');
    expect(instance).toBeDefined();
    expect(Date.parse(instance.leaseExpiresAt)).toBeGreaterThan(Date.now());
    expect(Date.now() - Date.parse(instance.lastHeartbeat)).toBeLessThan(1_500);
  });
});

describe('graceful shutdown of Portico', () => {
  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    const portico = await startPortico();
    const service = await startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'slow-1' });
    try {
      const inFlight = request(`${portico.publicUrl}/api/echo/slow?delay=700`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const exit = portico.stop('SIGTERM');
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.body.data.instance).toBe('slow-1');
      expect(await exit).toBe(0);
      expect(portico.lines.some((line) => line.includes('"msg":"portico stopped"'))).toBe(true);
    } finally {
      await service.stop('SIGKILL');
    }
  });
});
