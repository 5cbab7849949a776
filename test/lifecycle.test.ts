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
    const killedAt = Date.now();
    // Each listing with the time the registry gave it (its envelope's timestamp, the same clock):
    // on a busy machine the test reads an answer long after it was given, and that delay is not
    // the registry's.
    const listed = async () => {
      const { body } = await request(`${portico.adminUrl}/v1/registry/services/echo`);
      return {
        ids: body.data.instances.map((i: { id: string }) => i.id) as string[],
        at: Date.parse(body.meta.timestamp),
      };
    };
    const first = await listed();
    expect(first.ids).toContain('kill-1');
    let lastListedAt = first.at;
    await waitUntil(
      async () => {
        const { ids, at } = await listed();
        if (!ids.includes('kill-1')) return true;
        lastListedAt = at;
        return false;
      },
      10_000,
      50,
    );
    // The lease was renewed at most one heartbeat (1 s) before the kill, so it ends within the 3 s TTL:
    // no answer the registry gave after that still lists the instance.
    expect(lastListedAt - killedAt).toBeLessThanOrEqual(3_100);
    expect((await listed()).ids).toEqual(['keep-1']);
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
    // Compared with when the registry answered, not when this busy test process got to read it.
    const answeredAt = Date.parse(body.meta.timestamp);
    expect(Date.parse(instance.leaseExpiresAt)).toBeGreaterThan(answeredAt);
    expect(answeredAt - Date.parse(instance.lastHeartbeat)).toBeLessThan(1_500);
  });
});

describe('graceful shutdown of Portico', () => {
  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    const portico = await startPortico();
    const service = await startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'slow-1' });
    try {
      const inFlight = request(`${portico.publicUrl}/api/echo/slow?delay=1500`);
      // SIGTERM once the request is in flight (the instance holds it), not after a guess at how
      // long it takes to get there: on a busy machine a fixed 150 ms can end before it arrives.
      await waitUntil(async () => (await request(`${service.controlUrl}/stats`)).body.stats.requests > 0, 10_000, 10);
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
