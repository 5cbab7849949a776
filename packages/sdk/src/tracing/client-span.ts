import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { activeTracer } from './active-tracer.js';

/** A try's span and the headers that carry its context, or nothing when tracing is off. */
export interface TrySpan {
  span: Span;
  headers: Record<string, string>;
}

/**
 * Starts the CLIENT span of one try of a service call, when the application registered an
 * OpenTelemetry SDK. Its parent is the active span (the request being served), else the
 * `traceparent` the call already carries (from `from: req`); the returned headers are `headers`
 * with this span's `traceparent`. Without an SDK: undefined, and the call's headers go as they
 * are, so an incoming `traceparent` passed with `from` still reaches the service.
 *
 * @example
 * ```ts
 * const traced = startTrySpan('GET', 'orders', 'orders-1', 1, { traceparent });
 * await fetch(url, { headers: traced?.headers ?? headers });
 * if (traced) endTrySpan(traced.span, 200, undefined);
 * ```
 */
export function startTrySpan(
  method: string,
  service: string,
  instanceId: string,
  attempt: number,
  headers: Record<string, string>,
): TrySpan | undefined {
  const tracer = activeTracer();
  if (tracer === undefined) return undefined;
  const active = context.active();
  const parent = trace.getSpan(active) ? active : propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(
    `${method} ${service}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'portico.service': service,
        'portico.instance': instanceId,
        'portico.attempt': attempt,
      },
    },
    parent,
  );
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  const traced = { ...headers, ...carrier };
  // The incoming tracestate belongs to the incoming traceparent; a new traceparent replaced it.
  if (carrier.traceparent !== undefined && carrier.tracestate === undefined) delete traced.tracestate;
  return { span, headers: traced };
}

/**
 * Ends a try's span with the instance's status, or the transport error when there was no
 * answer.
 *
 * @example
 * ```ts
 * endTrySpan(span, undefined, new Error('connect ECONNREFUSED'));
 * ```
 */
export function endTrySpan(span: Span, status: number | undefined, error: unknown): void {
  if (status !== undefined) {
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (error !== undefined) {
    const failure = error instanceof Error ? error : new Error(String(error));
    span.recordException(failure);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  }
  span.end();
}
