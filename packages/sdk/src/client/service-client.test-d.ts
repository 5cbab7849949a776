import type { IncomingMessage } from 'node:http';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BreakerState,
  type CallOptions,
  createServiceClient,
  type HttpMethod,
  type Instance,
  type RequestOptions,
  type RunningService,
  type ServiceClient,
  type ServiceClientOptions,
  type ServiceResponse,
} from '../index.js';

declare const orders: ServiceClient;

describe('createServiceClient', () => {
  it('takes a service name and optional options, and gives a ServiceClient', () => {
    expectTypeOf(createServiceClient).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(createServiceClient).parameter(1).toEqualTypeOf<ServiceClientOptions | undefined>();
    expectTypeOf(createServiceClient).returns.toEqualTypeOf<ServiceClient>();
    // @ts-expect-error the service name is required
    void createServiceClient();
  });

  it('lets each policy be tuned or switched off', () => {
    expectTypeOf<{ retry: false; breaker: false; fallback: false }>().toExtend<ServiceClientOptions>();
    expectTypeOf<{
      retry: { attempts: 2; budgetPercent: 10; budgetWindowMs: 30_000; budgetMinRetriesPerSecond: 2 };
      breaker: { failureThreshold: 3; openMs: 1000 };
      fallback: { maxEntries: 10; maxAgeMs: 60_000 };
    }>().toExtend<ServiceClientOptions>();
    // @ts-expect-error the budget counts retries over a window now, not retries in flight
    const inFlight: ServiceClientOptions = { retry: { budgetMinConcurrency: 3 } };
    void inFlight;
    // @ts-expect-error a policy is an options object or false, not true
    const on: ServiceClientOptions = { breaker: true };
    void on;
    // @ts-expect-error timeouts are numbers of milliseconds
    const text: ServiceClientOptions = { timeoutMs: '2s' };
    void text;
  });
});

describe('ServiceClient', () => {
  it('returns the data type the caller names, unknown by default', () => {
    expectTypeOf(orders.get('/x')).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(orders.get<{ id: number }>('/x')).toEqualTypeOf<Promise<{ id: number }>>();
    expectTypeOf(orders.post<string>('/x', { body: { a: 1 } })).toEqualTypeOf<Promise<string>>();
    expectTypeOf(orders.put).returns.toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(orders.patch).returns.toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(orders.delete).returns.toEqualTypeOf<Promise<unknown>>();
  });

  it('gives status, headers and staleness from request()', () => {
    const answer = orders.request<{ id: number }>('/x', { method: 'GET' });
    expectTypeOf(answer).toEqualTypeOf<Promise<ServiceResponse<{ id: number }>>>();
    expectTypeOf<ServiceResponse<number>['data']>().toEqualTypeOf<number>();
    expectTypeOf<ServiceResponse<number>['stale']>().toEqualTypeOf<boolean>();
    expectTypeOf<ServiceResponse<number>['storedAt']>().toEqualTypeOf<Date | undefined>();
    expectTypeOf<ServiceResponse<number>['instanceId']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ServiceResponse<number>['headers']>().toEqualTypeOf<Headers>();
    expectTypeOf<RequestOptions['method']>().toEqualTypeOf<HttpMethod | undefined>();
    // @ts-expect-error only HTTP methods
    void orders.request('/x', { method: 'FETCH' });
  });

  it('accepts call options: headers, query, body, timeout, signal, the incoming request', () => {
    const req = {} as IncomingMessage;
    expectTypeOf({ from: req }).toExtend<CallOptions>();
    expectTypeOf({
      headers: { 'x-tenant-id': 't' },
      query: { page: 2, tags: ['a', 'b'], draft: false, skip: undefined },
      body: new Uint8Array(1),
      timeoutMs: 500,
      signal: AbortSignal.timeout(1000),
      requestId: 'r',
      traceparent: '00-…',
      idempotent: true,
      retry: false,
      fallback: false,
    }).toExtend<CallOptions>();
    // @ts-expect-error query values are strings, numbers or booleans
    void orders.get('/x', { query: { when: new Date() } });
    // @ts-expect-error header values are strings
    void orders.get('/x', { headers: { 'x-count': 1 } });
  });

  it('exposes its service, breaker state, known instances and close', () => {
    expectTypeOf(orders.service).toEqualTypeOf<string>();
    expectTypeOf(orders.breakerState).toEqualTypeOf<BreakerState>();
    expectTypeOf<BreakerState>().toEqualTypeOf<'closed' | 'open' | 'half-open'>();
    expectTypeOf(orders.instances()).toEqualTypeOf<readonly Instance[]>();
    expectTypeOf(orders.close()).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error the breaker state is read-only
    orders.breakerState = 'open';
  });

  it('is also a method of a running service', () => {
    expectTypeOf<RunningService['client']>().parameters.toEqualTypeOf<[string, ServiceClientOptions?]>();
    expectTypeOf<RunningService['client']>().returns.toEqualTypeOf<ServiceClient>();
  });
});
