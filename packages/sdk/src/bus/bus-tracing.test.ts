import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { consumeTraced, currentTraceparent, parseTraceparent } from './bus-tracing.js';

const message = (traceparent?: string) => ({
  id: 'm1',
  type: 'order.verified',
  timestamp: new Date().toISOString(),
  tenantId: 't1',
  data: {},
  ...(traceparent === undefined ? {} : { traceparent }),
});

describe('bus tracing', () => {
  afterEach(() => {
    trace.disable();
    context.disable();
  });

  it('without an OpenTelemetry SDK: no traceparent, the handler runs as it is', async () => {
    expect(currentTraceparent()).toBeUndefined();
    let ran = false;
    await consumeTraced(message(), 'g', () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('ignores a malformed traceparent', () => {
    expect(parseTraceparent('00-zz-1-01')).toBeUndefined();
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`)).toBeUndefined();
  });

  it('continues the publisher trace: the consumer span is a child of the published traceparent', async () => {
    const spans = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const tracer = trace.getTracer('test');
    const publishSpan = tracer.startSpan('publish');
    const traceparent = context.with(trace.setSpan(context.active(), publishSpan), () => currentTraceparent());
    publishSpan.end();
    expect(traceparent).toBe(`00-${publishSpan.spanContext().traceId}-${publishSpan.spanContext().spanId}-01`);
    let inside: string | undefined;
    await consumeTraced(message(traceparent), 'payout', () => {
      inside = trace.getActiveSpan()?.spanContext().traceId;
    });
    const consumer = spans.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER);
    expect(consumer?.spanContext().traceId).toBe(publishSpan.spanContext().traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(publishSpan.spanContext().spanId);
    expect(consumer?.attributes['messaging.consumer.group.name']).toBe('payout');
    expect(inside).toBe(publishSpan.spanContext().traceId);
  });
});
