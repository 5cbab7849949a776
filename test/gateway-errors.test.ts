import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, socketServer } from './support/bad-upstreams.js';
import { registerInstance, request } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

describe('gateway errors, each in the envelope with its status and code', () => {
  let portico: PorticoProc;
  let echo: ServiceProc;
  let silent: Awaited<ReturnType<typeof socketServer>>;
  let reset: Awaited<ReturnType<typeof socketServer>>;

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_UPSTREAM_TIMEOUT_MS: '400', PORTICO_MAX_BODY_BYTES: '1024' });
    echo = await startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'echo-1' });
    silent = await socketServer('silent');
    reset = await socketServer('reset');
    await registerInstance(portico.adminUrl, {
      id: 'silent-1',
      service: 'silent',
      host: '127.0.0.1',
      port: silent.port,
    });
    await registerInstance(portico.adminUrl, { id: 'reset-1', service: 'reset', host: '127.0.0.1', port: reset.port });
    await registerInstance(portico.adminUrl, {
      id: 'gone-1',
      service: 'gone',
      host: '127.0.0.1',
      port: await closedPort(),
    });
    await registerInstance(portico.adminUrl, { id: 'empty-1', service: 'emptied', host: '127.0.0.1', port: 1 });
    await fetch(`${portico.adminUrl}/v1/registry/instances/empty-1`, { method: 'DELETE' });
  });

  afterAll(async () => {
    await echo.stop('SIGKILL');
    await silent.close();
    await reset.close();
    await portico.stop();
  });

  const cases: [string, string, RequestInit, number, string][] = [
    ['unknown service', '/api/nosuch/x', {}, 404, 'NOT_FOUND'],
    ['unknown top-level path', '/elsewhere', {}, 404, 'NOT_FOUND'],
    ['service with no live instance', '/api/emptied/x', {}, 503, 'SERVICE_UNAVAILABLE'],
    ['connection refused', '/api/gone/x', {}, 502, 'UPSTREAM_ERROR'],
    ['connection reset', '/api/reset/x', {}, 502, 'UPSTREAM_ERROR'],
    ['upstream silent past the timeout', '/api/silent/x', {}, 504, 'UPSTREAM_TIMEOUT'],
    [
      'body over the limit (content-length)',
      '/api/echo/x',
      { method: 'POST', body: 'x'.repeat(2048) },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ];

  it.each(cases)('%s', async (_name, path, init, status, code) => {
    const started = performance.now();
    const response = await request(`${portico.publicUrl}${path}`, { ...init, headers: { 'x-request-id': 'err-1' } });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ success: false, error: { code }, meta: { requestId: 'err-1' } });
    expect(typeof response.body.error.message).toBe('string');
    expect(response.headers.get('x-request-id')).toBe('err-1');
    if (code === 'UPSTREAM_TIMEOUT') expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('413 for a chunked body that grows past the limit, and the gateway stays usable', async () => {
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(512)));
        controller.close();
      },
    });
    const response = await request(`${portico.publicUrl}/api/echo/x`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const small = await request(`${portico.publicUrl}/api/echo/x`, { method: 'POST', body: 'ok' });
    expect(small.status).toBe(200);
    expect(small.body.data.body).toBe('ok');
  });

  it('health, livez and readyz answer on the public port in the standard format', async () => {
    const health = await request(`${portico.publicUrl}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'healthy',
      version: expect.any(String),
      dependencies: { registry: 'healthy', routes: 'healthy' },
    });
    expect(typeof health.body.uptime_seconds).toBe('number');
    expect(Date.parse(health.body.timestamp)).not.toBeNaN();
    expect((await request(`${portico.publicUrl}/livez`)).status).toBe(200);
    expect((await request(`${portico.publicUrl}/readyz`)).status).toBe(200);
    const admin = await request(`${portico.adminUrl}/health`);
    expect(admin.body.status).toBe('healthy');
  });
});

describe('least-outstanding balancing', () => {
  it('sends new requests to the instance with fewer in flight', async () => {
    const portico = await startPortico({ PORTICO_BALANCER: 'least-outstanding' });
    const services = await Promise.all([
      startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'lor-a' }),
      startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'lor-b' }),
    ]);
    try {
      // Occupy one instance with slow requests, then the next ones all go to the other.
      const slow = await request(`${portico.publicUrl}/api/echo/warm`);
      const busy = slow.body.data.instance as string;
      const pending = Array.from({ length: 3 }, () => request(`${portico.publicUrl}/api/echo/slow?delay=800`));
      await new Promise((resolve) => setTimeout(resolve, 150));
      const fast = [];
      for (let i = 0; i < 6; i++) fast.push((await request(`${portico.publicUrl}/api/echo/fast`)).body.data.instance);
      const slowTargets = (await Promise.all(pending)).map((r) => r.body.data.instance);
      // The three slow ones spread 2/1 or 1/2; each fast one avoided the busier instance.
      const counts = new Map<string, number>();
      for (const target of slowTargets) counts.set(target, (counts.get(target) ?? 0) + 1);
      const busier = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      expect(busier).toBeDefined();
      expect(fast.every((target) => target !== busier)).toBe(true);
      expect(busy).toMatch(/^lor-/);
    } finally {
      await Promise.all(services.map((s) => s.stop('SIGKILL')));
      await portico.stop();
    }
  });
});
