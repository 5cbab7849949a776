import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startTracing } from './tracing.js';

const settings = {
  enabled: true,
  exporter: 'none' as const,
  endpoint: '',
  serviceName: 'edge',
  sampleRatio: 1,
};
const remoteParent = (flags: TraceFlags) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: flags,
    isRemote: true,
  });

describe('startTracing', () => {
  it('names the resource and hands spans to the extra processors', async () => {
    const spans = new InMemorySpanExporter();
    const tracing = startTracing(settings, createLogger('silent'), [new SimpleSpanProcessor(spans)]);
    tracing.tracer.startSpan('GET /api/orders').end();
    // Read before shutdown: shutting the in-memory exporter down empties it.
    const [span] = spans.getFinishedSpans();
    await tracing.shutdown();
    expect(span?.name).toBe('GET /api/orders');
    expect(span?.resource.attributes['service.name']).toBe('edge');
    expect(span?.instrumentationScope.name).toBe('portico');
  });

  it('samples new traces at sampleRatio, and follows the caller decision', async () => {
    const spans = new InMemorySpanExporter();
    const tracing = startTracing({ ...settings, sampleRatio: 0 }, createLogger('silent'), [
      new SimpleSpanProcessor(spans),
    ]);
    const unsampled = tracing.tracer.startSpan('new trace');
    // Not kept, but a real context: the trace still propagates, flagged not sampled.
    expect(unsampled.isRecording()).toBe(false);
    expect(unsampled.spanContext().traceFlags).toBe(TraceFlags.NONE);
    expect(trace.isSpanContextValid(unsampled.spanContext())).toBe(true);
    unsampled.end();
    tracing.tracer.startSpan('caller sampled', {}, remoteParent(TraceFlags.SAMPLED)).end();
    expect(spans.getFinishedSpans().map((span) => span.name)).toEqual(['caller sampled']);
    await tracing.shutdown();
  });

  it('follows a caller that did not sample, even at ratio 1', async () => {
    const spans = new InMemorySpanExporter();
    const tracing = startTracing(settings, createLogger('silent'), [new SimpleSpanProcessor(spans)]);
    tracing.tracer.startSpan('caller not sampled', {}, remoteParent(TraceFlags.NONE)).end();
    expect(spans.getFinishedSpans()).toEqual([]);
    await tracing.shutdown();
  });
});
