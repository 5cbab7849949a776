/**
 * Distributed tracing, in one process: Portico started in-process with an in-memory span
 * exporter, and services built on the SDK with an OpenTelemetry SDK registered in this process
 * (as an application would), exporting to a second in-memory exporter. Together they show one
 * trace from the caller through the gateway's request and try spans into the services.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ok, type RunningService, serve } from '@portico/sdk';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../packages/portico/src/config/load.js';
import { createLogger } from '../packages/portico/src/logger.js';
import { type RunningPortico, startPortico } from '../packages/portico/src/platform.js';
import { type Json, registerInstance, request, waitUntil } from './support/http.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

const gatewaySpans = new InMemorySpanExporter();
const serviceSpans = new InMemorySpanExporter();

/** Portico in this process, tracing to `gatewaySpans` when `enabled`. */
async function startInProcess(
  enabled: boolean,
  env: Record<string, string> = {},
  logger = createLogger('silent'),
): Promise<RunningPortico> {
  const config = loadConfig({
    env: {
      PORTICO_HOST: '127.0.0.1',
      PORTICO_PUBLIC_PORT: '0',
      PORTICO_ADMIN_PORT: '0',
      PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-tracing-')),
      PORTICO_DATABASE_URL: 'memory:',
      PORTICO_ADMIN_PASSWORD: 'tracing-test-password',
      PORTICO_TRACING_ENABLED: String(enabled),
      ...env,
    },
  });
  config.tracing.exporter = 'none';
  return startPortico(config, {
    logger,
    spanProcessors: [new SimpleSpanProcessor(gatewaySpans)],
  });
}

/** An SDK service that answers with the trace headers it received. */
function startService(
  portico: RunningPortico,
  name: string,
  id: string,
  handler?: (req: Parameters<Parameters<typeof serve>[0]['handler']>[0]) => Promise<unknown>,
): Promise<RunningService> {
  return serve({
    service: name,
    id,
    registry: portico.adminUrl,
    auth: 'public',
    handleSignals: false,
    propagationMs: 0,
    logger: quiet,
    handler: async (req, res) => {
      const extra = handler ? await handler(req) : undefined;
      const body = ok(
        { instance: id, traceparent: req.headers.traceparent, tracestate: req.headers.tracestate, extra },
        String(req.headers['x-request-id'] ?? ''),
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    },
  });
}

function spansOf(exporter: InMemorySpanExporter, traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** `traceparent` → [traceId, parent span id, flags]. */
function parse(traceparent: string): [string, string, string] {
  const [, traceId, spanId, flags] = traceparent.split('-') as [string, string, string, string];
  return [traceId, spanId, flags];
}

/** The request span and try spans of one trace, once the request span has ended. */
async function gatewayTrace(traceId: string): Promise<{ request: ReadableSpan; tries: ReadableSpan[] }> {
  await waitUntil(() => spansOf(gatewaySpans, traceId).some((span) => span.kind === SpanKind.SERVER));
  const spans = spansOf(gatewaySpans, traceId);
  const request = spans.find((span) => span.kind === SpanKind.SERVER) as ReadableSpan;
  const tries = spans
    .filter((span) => span.kind === SpanKind.CLIENT)
    .sort((a, b) => Number(a.attributes['portico.attempt']) - Number(b.attributes['portico.attempt']));
  return { request, tries };
}

// What an application does to turn on OpenTelemetry: a provider, the W3C propagator and an
// async context manager, registered globally. The SDK finds them there.
const serviceProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(serviceSpans)] });
trace.setGlobalTracerProvider(serviceProvider);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

describe('tracing on: gateway spans, propagation to services, the SDK continuing the trace', () => {
  let portico: RunningPortico;
  const services: RunningService[] = [];
  let dead: Server;

  beforeAll(async () => {
    portico = await startInProcess(true, { PORTICO_UPSTREAM_TIMEOUT_MS: '300' });
    const echo = await startService(portico, 'echo', 'echo-1');
    // `front` calls `echo` through its service client while serving a request, without `from`:
    // the active span carries the trace.
    const front = await startService(portico, 'front', 'front-1', async () => {
      const client = front.client('echo', { retry: false, fallback: false });
      return client.get('/inner');
    });
    const slow = await startService(portico, 'slow', 'slow-1', async (req) => {
      if (req.url?.startsWith('/late')) await new Promise((resolve) => setTimeout(resolve, 1_000));
    });
    services.push(echo, front, slow);
    await Promise.all(services.map((service) => service.registered));
    // An instance of `flaky` that refuses connections, beside a working one: a retried request.
    dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    await registerInstance(portico.adminUrl, {
      id: 'flaky-dead',
      service: 'flaky',
      host: '127.0.0.1',
      port: deadPort,
      ttlSeconds: 600,
    });
    services.push(await startService(portico, 'flaky', 'flaky-ok'));
    await services.at(-1)?.registered;
    await waitUntil(async () => (await request(`${portico.publicUrl}/api/front/`)).status === 200);
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.close()));
    await portico?.close();
  });

  beforeEach(() => {
    gatewaySpans.reset();
    serviceSpans.reset();
  });

  it('makes a request span and a try span, and the service continues the try', async () => {
    const { status, body } = await request(`${portico.publicUrl}/api/echo/orders/42?secret=1`, {
      headers: { 'user-agent': 'tracing-test' },
    });
    expect(status).toBe(200);
    const [traceId, parentId, flags] = parse(body.data.traceparent);
    expect(flags).toBe('01');
    const { request: span, tries } = await gatewayTrace(traceId);

    expect(span.name).toBe('GET /api/echo');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(parentOf(span)).toBeUndefined();
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/echo',
      'url.path': '/api/echo/orders/42',
      'http.response.status_code': 200,
      'portico.service': 'echo',
      'portico.instance': 'echo-1',
      'portico.retries': 0,
      'server.address': '127.0.0.1',
      'user_agent.original': 'tracing-test',
    });
    expect(span.attributes['portico.request_id']).toBe(body.meta.requestId);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    expect(tries).toHaveLength(1);
    const [first] = tries as [ReadableSpan];
    expect(first.name).toBe('GET echo');
    expect(first.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(first)).toBe(span.spanContext().spanId);
    expect(first.attributes).toMatchObject({
      'portico.instance': 'echo-1',
      'portico.attempt': 1,
      'http.response.status_code': 200,
    });
    expect(first.attributes['url.full']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/orders\/42$/);
    // What the service received names the try span as its parent…
    expect(parentId).toBe(first.spanContext().spanId);
    // …and the SDK's server span in the service continues it.
    await waitUntil(() => spansOf(serviceSpans, traceId).length > 0);
    const [served] = spansOf(serviceSpans, traceId) as [ReadableSpan];
    expect(served.kind).toBe(SpanKind.SERVER);
    expect(parentOf(served)).toBe(first.spanContext().spanId);
    expect(served.attributes).toMatchObject({ 'portico.service': 'echo', 'http.response.status_code': 200 });
  });

  it('continues a caller trace, and keeps its tracestate', async () => {
    const { body } = await request(`${portico.publicUrl}/api/echo/`, {
      headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' },
    });
    const [traceId, parentId] = parse(body.data.traceparent);
    expect(traceId).toBe(TRACE_ID);
    expect(body.data.tracestate).toBe('vendor=abc');
    const { request: span, tries } = await gatewayTrace(TRACE_ID);
    expect(parentOf(span)).toBe(CALLER_SPAN);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(parentId).toBe(tries[0]?.spanContext().spanId);
  });

  it.each([
    ['not hex', '00-zzf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['too short', '00-4bf92f35-00f067aa0ba902b7-01'],
    ['version ff', `ff-${TRACE_ID}-${CALLER_SPAN}-01`],
  ])('ignores a malformed traceparent (%s) and starts a new trace', async (_name, traceparent) => {
    const { status, body } = await request(`${portico.publicUrl}/api/echo/`, {
      headers: { traceparent, tracestate: 'vendor=stale' },
    });
    expect(status).toBe(200);
    const [traceId] = parse(body.data.traceparent);
    expect(body.data.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceId).not.toBe(TRACE_ID);
    // The stale tracestate belonged to the caller's trace, which was not continued.
    expect(body.data.tracestate).toBeUndefined();
    const { request: span } = await gatewayTrace(traceId);
    expect(parentOf(span)).toBeUndefined();
  });

  it('gives a retried request one try span per instance, the refused one failed', async () => {
    // Round-robin: within two requests one starts on the instance that refuses.
    let retried: Json;
    for (let i = 0; i < 4 && retried === undefined; i++) {
      const { status, body } = await request(`${portico.publicUrl}/api/flaky/x`);
      expect(status).toBe(200);
      const [traceId] = parse(body.data.traceparent);
      const found = await gatewayTrace(traceId);
      if (found.tries.length === 2) retried = { ...found, parentId: parse(body.data.traceparent)[1] };
    }
    expect(retried).toBeDefined();
    const {
      request: span,
      tries,
      parentId,
    } = retried as {
      request: ReadableSpan;
      tries: [ReadableSpan, ReadableSpan];
      parentId: string;
    };
    const [refused, served] = tries;
    expect(parentOf(refused)).toBe(span.spanContext().spanId);
    expect(parentOf(served)).toBe(span.spanContext().spanId);
    expect(refused.spanContext().spanId).not.toBe(served.spanContext().spanId);
    expect(refused.attributes).toMatchObject({
      'portico.instance': 'flaky-dead',
      'portico.attempt': 1,
      'error.type': 'ECONNREFUSED',
    });
    expect(refused.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused.events.some((event) => event.name === 'exception')).toBe(true);
    expect(served.attributes).toMatchObject({
      'portico.instance': 'flaky-ok',
      'portico.attempt': 2,
      'http.request.resend_count': 1,
    });
    // The instance that answered was sent its own try's context, not the first one's.
    expect(parentId).toBe(served.spanContext().spanId);
    expect(span.attributes).toMatchObject({ 'portico.instance': 'flaky-ok', 'portico.retries': 1 });
  });

  it('records a try that timed out, and the 504 on the request span', async () => {
    const { status, headers } = await request(`${portico.publicUrl}/api/slow/late`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(status).toBe(504);
    expect(headers.get('x-request-id')).toBeTruthy();
    const { request: span, tries } = await gatewayTrace(TRACE_ID);
    expect(span.attributes['http.response.status_code']).toBe(504);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(tries[0]?.attributes['error.type']).toBe('PORTICO_TRY_TIMEOUT');
    expect(tries[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('names the request span after the declared route it came through', async () => {
    const put = await request(`${portico.adminUrl}/v1/gateway/routes/echo-shop`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: ['/shop/*'], service: 'echo', stripPrefix: '/shop' }),
    });
    expect(put.status, put.text).toBe(201);
    const { status, body } = await request(`${portico.publicUrl}/shop/orders/7`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(status).toBe(200);
    const { request: span, tries } = await gatewayTrace(TRACE_ID);
    expect(span.name).toBe('GET echo-shop');
    expect(span.attributes).toMatchObject({
      'portico.route': 'echo-shop',
      'portico.service': 'echo',
      'http.response.status_code': 200,
    });
    expect(span.attributes['http.route']).toBeUndefined();
    expect(tries).toHaveLength(1);
    expect(tries[0]?.attributes['url.full']).toMatch(/\/orders\/7$/);
    expect(parse(body.data.traceparent)[1]).toBe(tries[0]?.spanContext().spanId);
  });

  it('traces a request for an unknown service under the route template', async () => {
    const { status } = await request(`${portico.publicUrl}/api/nope-${Date.now()}/x`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(status).toBe(404);
    const { request: span, tries } = await gatewayTrace(TRACE_ID);
    expect(span.name).toBe('GET /api/{service}');
    expect(span.attributes['http.response.status_code']).toBe(404);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(tries).toEqual([]);
  });

  it("carries the trace through a service's own client calls (SDK: active span)", async () => {
    const { status, body } = await request(`${portico.publicUrl}/api/front/`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(status).toBe(200);
    const { tries } = await gatewayTrace(TRACE_ID);
    await waitUntil(() => spansOf(serviceSpans, TRACE_ID).length >= 3);
    const spans = spansOf(serviceSpans, TRACE_ID);
    const frontServer = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['portico.service'] === 'front');
    const call = spans.find((s) => s.kind === SpanKind.CLIENT);
    const echoServer = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['portico.service'] === 'echo');
    expect(parentOf(frontServer as ReadableSpan)).toBe(tries[0]?.spanContext().spanId);
    expect(call?.name).toBe('GET echo');
    expect(parentOf(call as ReadableSpan)).toBe(frontServer?.spanContext().spanId);
    expect(parentOf(echoServer as ReadableSpan)).toBe(call?.spanContext().spanId);
    // What echo received, as front's client sent it.
    expect(parse(body.data.extra.traceparent)).toEqual([TRACE_ID, call?.spanContext().spanId, '01']);
  });
});

describe('tracing off', () => {
  let portico: RunningPortico;
  let echo: RunningService;
  const logLines: Json[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    portico = await startInProcess(false, {}, pino({ level: 'info' }, sink));
    echo = await startService(portico, 'echo', 'echo-off');
    await echo.registered;
    await waitUntil(async () => (await request(`${portico.publicUrl}/api/echo/`)).status === 200);
  });

  afterAll(async () => {
    await echo?.close();
    await portico?.close();
  });

  it('makes no span and passes the caller traceparent and tracestate through unchanged', async () => {
    gatewaySpans.reset();
    const { body } = await request(`${portico.publicUrl}/api/echo/`, {
      headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' },
    });
    expect(body.data.traceparent).toBe(TRACEPARENT);
    expect(body.data.tracestate).toBe('vendor=abc');
    const malformed = 'not-a-traceparent';
    const second = await request(`${portico.publicUrl}/api/echo/`, { headers: { traceparent: malformed } });
    expect(second.body.data.traceparent).toBe(malformed);
    // Nor does it make one up for a caller that sent none.
    const third = await request(`${portico.publicUrl}/api/echo/`);
    expect(third.body.data.traceparent).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gatewaySpans.getFinishedSpans()).toEqual([]);
    // The access lines carry the caller's trace id, and none for a malformed or absent one.
    const access = (requestId: string) =>
      logLines.find((line) => line.msg === 'request' && line.requestId === requestId);
    expect(access(body.meta.requestId)?.traceId).toBe(TRACE_ID);
    expect(access(second.body.meta.requestId)).toBeDefined();
    expect(access(second.body.meta.requestId)?.traceId).toBeUndefined();
    expect(access(third.body.meta.requestId)?.traceId).toBeUndefined();
  });
});
