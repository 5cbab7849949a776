/**
 * The SDK's tracing without and with an application's OpenTelemetry SDK. This file runs in its
 * own process, so it starts with nothing registered, as a service that never set up tracing.
 */

import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { activeTracer } from './active-tracer.js';
import { startTrySpan } from './client-span.js';
import { tracedHandler } from './server-span.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function fakeRequest(headers: Record<string, string>): [IncomingMessage, ServerResponse & EventEmitter] {
  const req = { method: 'GET', url: '/orders/1?x=1', headers } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { headersSent: true, statusCode: 200 });
  return [req, res as unknown as ServerResponse & EventEmitter];
}

describe('SDK tracing', () => {
  it('does nothing without an OpenTelemetry SDK: no tracer, no span, the call headers as they are', () => {
    expect(activeTracer()).toBeUndefined();
    const [req, res] = fakeRequest({ traceparent: TRACEPARENT });
    let active: unknown = 'unset';
    const result = tracedHandler('orders', () => {
      active = trace.getActiveSpan();
      return 42;
    })(req, res);
    expect(result).toBe(42);
    expect(active).toBeUndefined();
    expect(startTrySpan('GET', 'orders', 'orders-1', 1, { traceparent: TRACEPARENT })).toBeUndefined();
  });

  it('with a provider but no propagator, keeps the traceparent the call carries', () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const traced = startTrySpan('GET', 'orders', 'orders-1', 1, { traceparent: TRACEPARENT, tracestate: 'k=v' });
    expect(traced?.headers).toEqual({ traceparent: TRACEPARENT, tracestate: 'k=v' });
    traced?.span.end();
  });

  it('with a propagator too: a server span continues the caller, and a try span continues it', () => {
    const spans = new InMemorySpanExporter();
    trace.disable();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    expect(activeTracer()).toBeDefined();

    const [req, res] = fakeRequest({ traceparent: TRACEPARENT });
    tracedHandler('orders', () => undefined)(req, res);
    res.emit('close');
    const [server] = spans.getFinishedSpans();
    expect(server?.kind).toBe(SpanKind.SERVER);
    expect(server?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(server?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(server?.attributes).toMatchObject({ 'url.path': '/orders/1', 'http.response.status_code': 200 });

    // No context manager is registered here, so no span is active: the call's own traceparent
    // (from `from: req`) is the parent, and the try sends its own span's context instead.
    const traced = startTrySpan('POST', 'billing', 'billing-1', 2, { traceparent: TRACEPARENT, tracestate: 'k=v' });
    traced?.span.end();
    const tried = spans.getFinishedSpans()[1];
    expect(tried?.name).toBe('POST billing');
    expect(tried?.kind).toBe(SpanKind.CLIENT);
    expect(tried?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(tried?.attributes).toMatchObject({ 'portico.instance': 'billing-1', 'portico.attempt': 2 });
    expect(traced?.headers.traceparent).toBe(`00-0af7651916cd43dd8448eb211c80319c-${tried?.spanContext().spanId}-01`);
    expect(traced?.headers.tracestate).toBe('k=v');
    expect(context.active()).toBeDefined();
  });
});
