import { context, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { activeTracer } from '../tracing/active-tracer.js';
import type { BusMessage } from './bus-types.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` of the active span, for a publish; undefined outside a span. Formatted
 * here rather than through a propagator so it works whatever propagator the app registered.
 *
 * @example
 * ```ts
 * await port.publish({ type, data, traceparent: currentTraceparent() });
 * ```
 */
export function currentTraceparent(): string | undefined {
  const sc = trace.getSpan(context.active())?.spanContext();
  if (sc === undefined || !trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The span context a `traceparent` names; undefined when absent or malformed (never throws). */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const m = value === undefined ? null : TRACEPARENT.exec(value);
  if (m === null) return undefined;
  const sc: SpanContext = {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16),
    isRemote: true,
  };
  return trace.isSpanContextValid(sc) ? sc : undefined;
}

/**
 * Runs a handler inside a CONSUMER span, child of the publisher's span, when the application
 * registered an OpenTelemetry SDK; calls it directly otherwise.
 *
 * @example
 * ```ts
 * await consumeTraced(message, 'payout', () => handler(message));
 * ```
 */
export async function consumeTraced(
  message: BusMessage<unknown>,
  group: string,
  run: () => Promise<void> | void,
): Promise<void> {
  const tracer = activeTracer();
  if (tracer === undefined) return run();
  const parentSc = parseTraceparent(message.traceparent);
  const parent = parentSc === undefined ? context.active() : trace.setSpanContext(context.active(), parentSc);
  const span = tracer.startSpan(
    `${message.type} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.destination.name': message.type,
        'messaging.consumer.group.name': group,
        'messaging.message.id': message.id,
      },
    },
    parent,
  );
  try {
    await context.with(trace.setSpan(parent, span), run);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
