import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { pathOf } from '../url-path.js';
import { activeTracer } from './active-tracer.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Wraps a service's handler so that, when the application registered an OpenTelemetry SDK, each
 * request runs inside a SERVER span continuing the caller's `traceparent` (the gateway's try):
 * spans the handler starts, and calls through the service clients, are its children. Without
 * an SDK it calls the handler directly. When an HTTP instrumentation already made a span for the
 * request, that one is kept and no second one is made.
 *
 * @example
 * ```ts
 * const handler = tracedHandler('orders', (req, res) => res.end('ok'));
 * createServer(handler);
 * ```
 */
export function tracedHandler(service: string, handler: Handler): Handler {
  return (req, res) => {
    const tracer = activeTracer();
    if (tracer === undefined) return handler(req, res);
    const active = context.active();
    if (trace.getSpan(active)?.isRecording()) return handler(req, res);
    const parent = propagation.extract(active, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': pathOf(req.url),
          'portico.service': service,
        },
      },
      parent,
    );
    res.once('close', () => {
      if (res.headersSent) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    return context.with(trace.setSpan(parent, span), handler, undefined, req, res);
  };
}
