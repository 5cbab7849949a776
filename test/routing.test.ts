import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, registerInstance, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

describe('gateway routes to registered SDK instances', () => {
  let portico: PorticoProc;
  let services: ServiceProc[];

  beforeAll(async () => {
    portico = await startPortico();
    services = await Promise.all([
      startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'echo-a' }),
      startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'echo-b' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop('SIGKILL')));
    await portico.stop();
  });

  it('forwards /api/{service}/{rest} with the query string and spreads requests round-robin', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 10; i++) {
      const { status, body } = await request(`${portico.publicUrl}/api/echo/orders/42?x=1&y=%20z`);
      expect(status).toBe(200);
      expect(body.data.url).toBe('/orders/42?x=1&y=%20z');
      seen.set(body.data.instance, (seen.get(body.data.instance) ?? 0) + 1);
    }
    expect(seen.get('echo-a')).toBe(5);
    expect(seen.get('echo-b')).toBe(5);
  });

  it('passes x-request-id through, sets x-forwarded-*, strips hop-by-hop headers', async () => {
    const { headers, body } = await rawRequest(`${portico.publicUrl}/api/echo/h`, {
      headers: {
        'x-request-id': 'req-123',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'no',
        'x-keep': 'yes',
      },
    });
    expect(headers['x-request-id']).toBe('req-123');
    const sent = body.data.headers;
    expect(sent['x-request-id']).toBe('req-123');
    expect(sent['x-forwarded-for']).toBe('127.0.0.1');
    expect(sent['x-forwarded-proto']).toBe('http');
    expect(sent['x-forwarded-host']).toBe(new URL(portico.publicUrl).host);
    expect(sent['x-keep']).toBe('yes');
    expect(sent['x-secret-hop']).toBeUndefined();
  });

  it('generates a request id when the caller sends none', async () => {
    const { headers, body } = await request(`${portico.publicUrl}/api/echo/`);
    const id = headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.data.headers['x-request-id']).toBe(id);
  });

  it('streams request and response bodies', async () => {
    const payload = 'x'.repeat(3 * 1024 * 1024);
    const { body } = await request(`${portico.publicUrl}/api/echo/upload`, { method: 'POST', body: payload });
    expect(body.data.bodyBytes).toBe(payload.length);
    const streamed = await request(`${portico.publicUrl}/api/echo/stream?chunks=5`);
    expect(streamed.text).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
  });

  it('routes a newly registered instance within 100 ms and stops routing a deregistered one', async () => {
    const extra = await startService('echo-service', portico.adminUrl, { SERVICE_NAME: 'late', INSTANCE_ID: 'late-1' });
    try {
      const { status } = await request(`${portico.publicUrl}/api/late/x`);
      expect(status).toBe(200);
      await fetch(`${portico.adminUrl}/v1/registry/instances/late-1`, { method: 'DELETE' });
      const after = await request(`${portico.publicUrl}/api/late/x`);
      expect(after.status).toBe(503);
      expect(after.body.error.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await extra.stop('SIGKILL');
    }
  });

  it('measures register → routable below 100 ms', async () => {
    const target = services[0] as ServiceProc;
    const port = Number(new URL(target.url).port);
    const started = performance.now();
    await registerInstance(portico.adminUrl, { id: 'direct-1', service: 'direct', host: '127.0.0.1', port });
    const elapsed = await waitUntil(
      async () => (await request(`${portico.publicUrl}/api/direct/x`)).status === 200,
      1000,
      1,
    );
    expect(performance.now() - started).toBeLessThan(100);
    expect(elapsed).toBeLessThan(100);
  });
});
