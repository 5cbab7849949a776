import type { OpenApiDocument } from '@portico/sdk';
import { describe, expect, it } from 'vitest';
import { mergeDocuments } from './merge-documents.js';
import { resolvePointer, validateOpenApi } from './validate-document.js';

const orders: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 'Orders', version: '1.2.0' },
  security: [{ bearer: [] }],
  paths: {
    '/v1/orders/{id}': {
      parameters: [{ $ref: '#/components/parameters/Id' }],
      get: {
        operationId: 'getOrder',
        tags: ['orders-internal'],
        responses: {
          '200': {
            description: 'the order',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
            links: { self: { operationId: 'getOrder' } },
          },
        },
      },
    },
    '/internal/metrics': { get: { responses: { '200': { description: 'not through the gateway' } } } },
  },
  components: {
    parameters: { Id: { name: 'id', in: 'path', required: true, schema: { type: 'string' } } },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Order: { type: 'object', properties: { pet: { $ref: '#/components/schemas/Pet' } } },
      Pet: {
        oneOf: [{ $ref: '#/components/schemas/Cat' }],
        discriminator: { propertyName: 'kind', mapping: { cat: 'Cat', other: '#/components/schemas/Cat' } },
      },
      Cat: { type: 'object' },
    },
  },
};

const billing: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 'Billing', version: '0.1.0' },
  paths: {
    '/': { get: { operationId: 'getOrder', responses: { '200': { $ref: '#/components/responses/Ok' } } } },
  },
  components: {
    schemas: { Order: { type: 'object', properties: { total: { type: 'number' } } } },
    responses: {
      Ok: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
    },
  },
};

/** Every `$ref` of a document, with what it resolves to. */
function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refs(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refs(value, found);
    }
  }
  return found;
}

describe('mergeDocuments', () => {
  const merged = mergeDocuments(
    [
      { service: 'orders', basePath: '/v1', version: '1.2.0', document: validateOpenApi(orders, 1e6) },
      { service: 'billing', basePath: '/', version: '0.1.0', document: validateOpenApi(billing, 1e6) },
    ],
    { title: 'Portico API', version: '9.9.9' },
  ) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: Record<string, Record<string, unknown>>;
  } & Record<string, unknown>;

  it('puts each service under /api/{service}, below its base path, and leaves out what the gateway cannot reach', () => {
    expect(Object.keys(merged.paths).sort()).toEqual(['/api/billing', '/api/orders/orders/{id}']);
    expect(merged['x-portico-unreachable']).toEqual({ orders: ['/internal/metrics'] });
  });

  it('keeps colliding component names apart and every $ref resolves in the merged document', () => {
    expect(Object.keys(merged.components.schemas ?? {}).sort()).toEqual([
      'billing.Order',
      'orders.Cat',
      'orders.Order',
      'orders.Pet',
    ]);
    const all = refs(merged);
    expect(all).toContain('#/components/schemas/orders.Order');
    expect(all).toContain('#/components/schemas/billing.Order');
    for (const ref of all) expect(resolvePointer(merged, ref), ref).toBeDefined();
  });

  it('renames operation ids, links, security and discriminator mappings, and tags each operation with its service', () => {
    const get = merged.paths['/api/orders/orders/{id}']?.get as Record<string, unknown>;
    expect(get.operationId).toBe('orders.getOrder');
    expect(get.tags).toEqual(['orders']);
    expect(get.security).toEqual([{ 'orders.bearer': [] }]);
    expect(JSON.stringify(get.responses)).toContain('"operationId":"orders.getOrder"');
    expect(merged.paths['/api/billing']?.get?.operationId).toBe('billing.getOrder');
    expect(
      (merged.components.schemas?.['orders.Pet'] as { discriminator: unknown } | undefined)?.discriminator,
    ).toEqual({
      propertyName: 'kind',
      mapping: { cat: 'orders.Cat', other: '#/components/schemas/orders.Cat' },
    });
    expect(merged.tags).toEqual([
      { name: 'billing', description: 'Billing 0.1.0' },
      { name: 'orders', description: 'Orders 1.2.0' },
    ]);
  });

  it('does not change the documents it merged', () => {
    expect(Object.keys(orders.components?.schemas ?? {})).toEqual(['Order', 'Pet', 'Cat']);
    expect(orders.paths?.['/v1/orders/{id}']?.get).toMatchObject({ operationId: 'getOrder' });
  });
});

describe('validateOpenApi', () => {
  const reason = (value: unknown, max = 1e6) => {
    try {
      validateOpenApi(value, max);
      return 'accepted';
    } catch (error) {
      return `${(error as { code: string }).code}:${(error as { details: { reason: string } }).details.reason}`;
    }
  };

  it('accepts a 3.0 or 3.1 document and refuses the rest with a reason', () => {
    expect(reason(orders)).toBe('accepted');
    expect(reason({ ...billing, openapi: '3.1.0' })).toBe('accepted');
    expect(reason({ swagger: '2.0', info: { title: 'x', version: '1' } })).toBe('OPENAPI_INVALID:not-openapi-3');
    expect(reason('nope')).toBe('OPENAPI_INVALID:not-openapi-3');
    expect(reason({ openapi: '3.0.3', info: { title: 'x' } })).toBe('OPENAPI_INVALID:bad-info');
    expect(reason({ ...billing, paths: { orders: {} } })).toBe('OPENAPI_INVALID:bad-paths');
    expect(reason({ ...billing, components: { schemas: { 'a b': {} } } })).toBe('OPENAPI_INVALID:bad-components');
    expect(reason({ ...billing, paths: { '/': { $ref: 'https://elsewhere/x.json' } } })).toBe(
      'OPENAPI_INVALID:bad-ref',
    );
    expect(reason({ ...billing, paths: { '/': { $ref: '#/components/schemas/Missing' } } })).toBe(
      'OPENAPI_INVALID:bad-ref',
    );
    expect(reason(orders, 200)).toBe('OPENAPI_INVALID:too-large');
  });
});
