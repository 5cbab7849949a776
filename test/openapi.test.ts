/**
 * The aggregated OpenAPI (docs/openapi.md): real Portico processes and real SDK services that
 * register documents whose component names collide.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, postJson, request, waitUntil } from './support/http.js';
import {
  FIXTURES,
  type PorticoProc,
  type ServiceProc,
  spawnNode,
  startPortico,
  startService,
} from './support/processes.js';

const orderSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, items: { type: 'array', items: { $ref: '#/components/schemas/Item' } } },
};

/** Served under base path /v1: the gateway forwards /api/orders/{rest} to /v1/{rest}. */
const ordersDoc = {
  openapi: '3.0.3',
  info: { title: 'Orders', version: '1.0.0' },
  paths: {
    '/v1/orders/{id}': {
      get: {
        operationId: 'getOrder',
        summary: 'Read an order',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'the order',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
          },
        },
      },
    },
  },
  components: { schemas: { Order: orderSchema, Item: { type: 'object' } } },
};

const billingDoc = {
  openapi: '3.0.3',
  info: { title: 'Billing', version: '2.0.0' },
  paths: {
    '/invoices': {
      post: {
        operationId: 'getOrder',
        summary: 'Bill an <order>',
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
        responses: { '201': { description: 'billed' } },
      },
    },
  },
  components: { schemas: { Order: { type: 'object', properties: { total: { type: 'number' } } } } },
};

function refsOf(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refsOf(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refsOf(value, found);
    }
  }
  return found;
}

function resolve(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<Json>((node, token) => node?.[token], document);
}

describe('aggregated OpenAPI', () => {
  let portico: PorticoProc;
  let gatewayOnly: PorticoProc;
  let orders: ServiceProc;
  let billing: ServiceProc;

  beforeAll(async () => {
    portico = await startPortico();
    [orders, billing] = await Promise.all([
      startService('echo-service', portico.adminUrl, {
        SERVICE_NAME: 'orders',
        BASE_PATH: '/v1',
        OPENAPI_JSON: JSON.stringify(ordersDoc),
      }),
      startService('echo-service', portico.adminUrl, {
        SERVICE_NAME: 'billing',
        OPENAPI_JSON: JSON.stringify(billingDoc),
      }),
    ]);
    // A gateway started alone follows the registry over HTTP: the documents travel with the watch.
    gatewayOnly = await startPortico({ PORTICO_REGISTRY_URL: portico.adminUrl }, 'gateway');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([orders?.stop('SIGKILL'), billing?.stop('SIGKILL'), gatewayOnly?.stop()]);
    await portico?.stop();
  });

  it('serves one document with both services under /api/{service}, colliding components kept apart, every $ref resolving', async () => {
    const { status, body, headers } = await request(`${portico.publicUrl}/openapi.json`);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toContain('application/json');
    expect(body.openapi).toBe('3.0.3');
    expect(Object.keys(body.paths).sort()).toEqual(['/api/billing/invoices', '/api/orders/orders/{id}']);
    expect(Object.keys(body.components.schemas).sort()).toEqual(['billing.Order', 'orders.Item', 'orders.Order']);
    expect(body.components.schemas['orders.Order'].properties.id).toEqual({ type: 'string' });
    expect(body.components.schemas['billing.Order'].properties.total).toEqual({ type: 'number' });
    const refs = refsOf(body);
    expect(refs.sort()).toEqual([
      '#/components/schemas/billing.Order',
      '#/components/schemas/orders.Item',
      '#/components/schemas/orders.Order',
    ]);
    for (const ref of refs) expect(resolve(body, ref), ref).toBeDefined();
    expect(body.tags.map((tag: Json) => tag.name)).toEqual(['billing', 'orders']);
    const getOrder = body.paths['/api/orders/orders/{id}'].get;
    expect(getOrder.operationId).toBe('orders.getOrder');
    expect(getOrder.tags).toEqual(['orders']);
    expect(body.paths['/api/billing/invoices'].post.operationId).toBe('billing.getOrder');
  });

  it('documents paths that the gateway really routes', async () => {
    const { status, body } = await request(`${portico.publicUrl}/api/orders/orders/42`);
    expect(status).toBe(200);
    expect(body.data.url).toBe('/v1/orders/42');
  });

  it('answers 304 to a client that has the current document, and a gateway-only process serves the same one', async () => {
    const first = await fetch(`${portico.publicUrl}/openapi.json`);
    const etag = first.headers.get('etag') as string;
    const text = await first.text();
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetch(`${portico.publicUrl}/openapi.json`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    await waitUntil(async () => (await fetch(`${gatewayOnly.publicUrl}/openapi.json`).then((r) => r.text())) === text);
  });

  it('renders a docs page without scripts, under a strict CSP', async () => {
    const response = await fetch(`${portico.publicUrl}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const csp = response.headers.get('content-security-policy') as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('/api/orders/orders/{id}');
    expect(html).toContain('Read an order');
    // The service's words are escaped, never markup.
    expect(html).toContain('Bill an &#60;order&#62;');
    const post = await request(`${portico.publicUrl}/openapi.json`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('refuses an oversized or invalid document with 400 OPENAPI_INVALID, and an SDK service with one stops', async () => {
    const register = (openapi: unknown) =>
      postJson(`${portico.adminUrl}/v1/registry/instances`, { service: 'bad', host: '127.0.0.1', port: 1, openapi });
    const huge = { ...billingDoc, info: { title: 'x', version: '1', description: 'x'.repeat(300 * 1024) } };
    const cases: [unknown, string][] = [
      [huge, 'too-large'],
      [{ swagger: '2.0', info: { title: 'x', version: '1' }, paths: {} }, 'not-openapi-3'],
      [[1, 2], 'not-openapi-3'],
      [{ ...billingDoc, paths: { '/x': { $ref: '#/components/schemas/Nope' } } }, 'bad-ref'],
    ];
    for (const [document, reason] of cases) {
      const reply = await register(document);
      expect(reply.status, reason).toBe(400);
      expect(reply.body.error.code).toBe('OPENAPI_INVALID');
      expect(reply.body.error.details.reason).toBe(reason);
    }
    const services = await request(`${portico.adminUrl}/v1/registry/services`);
    expect(services.body.data.map((s: Json) => s.name)).not.toContain('bad');
    // The SDK treats the refusal as final: it does not retry, and `registered` rejects.
    const refused = spawnNode([join(FIXTURES, 'echo-service.mjs')], {
      PORTICO_REGISTRY_URL: portico.adminUrl,
      SERVICE_NAME: 'bad',
      OPENAPI_JSON: JSON.stringify({ openapi: '2.0' }),
    });
    await refused.waitForLine(/the registry refused this instance.*OPENAPI_INVALID|OPENAPI_INVALID/, 30_000);
    expect(await refused.exited).not.toBe(0);
  });

  it('drops a service from the document once its last instance deregisters', async () => {
    await billing.stop('SIGTERM');
    await waitUntil(async () => {
      const { body } = await request(`${portico.publicUrl}/openapi.json`);
      return !Object.keys(body.paths).some((path) => path.startsWith('/api/billing'));
    });
    const { body } = await request(`${portico.publicUrl}/openapi.json`);
    expect(Object.keys(body.paths)).toEqual(['/api/orders/orders/{id}']);
    expect(Object.keys(body.components.schemas).sort()).toEqual(['orders.Item', 'orders.Order']);
    expect(body.tags.map((tag: Json) => tag.name)).toEqual(['orders']);
  });
});
