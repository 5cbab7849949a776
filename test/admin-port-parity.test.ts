import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, request } from './support/http.js';
import { type PorticoProc, startPortico } from './support/processes.js';

/**
 * A gateway-only process serves its admin port with the lean server (node:http, no Fastify);
 * an all-in-one process with the full admin app. Both must answer every request of their common
 * surface alike: the same status, error code, message and validation details.
 */
describe('admin port: lean server (gateway-only) answers as the full app', () => {
  let full: PorticoProc;
  let lean: PorticoProc;

  beforeAll(async () => {
    full = await startPortico();
    lean = await startPortico({ PORTICO_REGISTRY_URL: full.adminUrl }, 'gateway');
  }, 90_000);

  afterAll(async () => {
    await lean?.stop();
    await full?.stop();
  });

  type Call = { method?: string; path: string; headers?: Record<string, string>; body?: string };
  const json = { 'content-type': 'application/json' };
  const route = JSON.stringify({ paths: ['/parity/*'], service: 'parity', stripPrefix: '/parity' });
  /** Each call runs on both processes in turn, so state-changing calls leave both alike. */
  const calls: Call[] = [
    { path: '/livez' },
    { path: '/readyz' },
    { method: 'HEAD', path: '/livez' },
    { path: '/v1/gateway/routes' },
    { path: '/v1/gateway/routes/missing' },
    { path: '/v1/gateway/routes/Not_A_Name' },
    { path: '/v1/gateway/routes/%E0%A4%A' },
    { path: `/v1/gateway/routes/${'a'.repeat(300)}` },
    { path: '/nowhere?x=1' },
    { method: 'POST', path: '/v1/gateway/routes/x', headers: json, body: '{}' },
    { method: 'PUT', path: '/v1/gateway/routes/r1' },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: json, body: '' },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: json, body: '{"paths":' },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: json, body: '{"__proto__":{"x":1}}' },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: { 'content-type': 'text/plain' }, body: route },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: { 'content-type': 'nonsense' }, body: route },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: {}, body: route },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: json, body: '[]' },
    {
      method: 'PUT',
      path: '/v1/gateway/routes/r1',
      headers: json,
      body: JSON.stringify({ paths: ['no-slash', 7], service: 'BAD', extra: 1, priority: 1.5 }),
    },
    {
      method: 'PUT',
      path: '/v1/gateway/routes/BAD',
      headers: json,
      body: JSON.stringify({ paths: ['/x'] }),
    },
    {
      method: 'PUT',
      path: '/v1/gateway/routes/r1',
      headers: json,
      body: JSON.stringify({ paths: ['/x'], service: 's', policies: { cors: { origins: [] } } }),
    },
    {
      method: 'PUT',
      path: '/v1/gateway/routes/r1',
      headers: json,
      body: JSON.stringify({ paths: ['/health'], service: 's' }),
    },
    {
      method: 'PUT',
      path: '/v1/gateway/routes/r1',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: route,
    },
    { method: 'PUT', path: '/v1/gateway/routes/r1', headers: json, body: route },
    { method: 'PUT', path: '/v1/gateway/routes/r2', headers: json, body: route },
    { path: '/v1/gateway/routes/r1' },
    { path: '/v1/gateway/routes' },
    // Announced, never sent: answered before reading; `connection: close` so the socket is not reused.
    {
      method: 'PUT',
      path: '/v1/gateway/routes/r1',
      headers: { ...json, 'content-length': String(2 * 1024 * 1024), connection: 'close' },
    },
    { method: 'DELETE', path: '/v1/gateway/routes/r1', headers: { 'content-type': 'text/plain' }, body: 'x' },
    { method: 'DELETE', path: '/v1/gateway/routes/r1' },
    { method: 'DELETE', path: '/v1/gateway/routes/r1' },
  ];

  it('answers each call with the same status, code, message and details', async () => {
    for (const call of calls) {
      const [a, b] = await Promise.all(
        [full, lean].map(async (p) => {
          const reply = await rawRequest(p.adminUrl, { method: call.method ?? 'GET', ...call });
          // The request id is echoed in the header and the envelope; timestamps differ by nature.
          const id = reply.headers['x-request-id'];
          if (reply.body?.meta) {
            expect(reply.body.meta.requestId).toBe(id);
            delete reply.body.meta;
          }
          return { status: reply.status, contentType: reply.headers['content-type'], body: reply.body, id: !!id };
        }),
      );
      expect(b, `${call.method ?? 'GET'} ${call.path}`).toEqual(a);
    }
  });

  it('keeps the request id the caller sent', async () => {
    const reply = await request(`${lean.adminUrl}/v1/gateway/routes/missing`, { headers: { 'x-request-id': 'abc-1' } });
    expect(reply.status).toBe(404);
    expect(reply.headers.get('x-request-id')).toBe('abc-1');
    expect(reply.body.meta.requestId).toBe('abc-1');
  });

  it('serves /metrics and /health, and refuses a chunked body past the limit with 413', async () => {
    const metrics = await request(`${lean.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.headers.get('cache-control')).toBe('no-store');
    expect(metrics.text).toContain('portico_gateway_requests_total');
    const health = await request(`${lean.adminUrl}/health`);
    expect(health.status).toBe(200);
    expect(health.body.dependencies.routes).toBe('healthy');
    const services = await request(`${lean.adminUrl}/v1/gateway/services`);
    expect(services.status).toBe(200);
    expect(services.body.success).toBe(true);
    const big = await rawRequest(`${lean.adminUrl}/v1/gateway/routes/big`, {
      method: 'PUT',
      headers: { ...json, 'transfer-encoding': 'chunked' },
      body: `{"paths":["/${'x'.repeat(2 * 1024 * 1024)}"]}`,
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
