import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { pathOf } from '@portico/sdk';
import type { Upstream } from '../gateway/upstream.js';
import type { GatewayRequest, GatewayResponse } from '../http/gateway-message.js';
import { observed } from '../http/observed-response.js';
import { TrySpan } from './try-span.js';

/** Not the global propagator: an application embedding Portico keeps its own. */
const propagator = new W3CTraceContextPropagator();

/**
 * What the gateway is given when tracing is on: it starts a {@link RequestTrace} per request.
 * The gateway imports only this type, so with tracing off no OpenTelemetry module is loaded.
 */
export interface RequestTracer {
  /** `declaredRoute`: the name of the declared route the request matched, if any. */
  start(
    req: GatewayRequest,
    res: GatewayResponse,
    service: string,
    known: boolean,
    requestId: string,
    declaredRoute?: string,
  ): RequestTrace;
}

/**
 * The {@link RequestTracer} of a tracer.
 *
 * @example
 * ```ts
 * const requests = requestTracer(provider.getTracer('portico'));
 * const requestTrace = requests.start(req, res, 'orders', true, requestId);
 * ```
 */
export function requestTracer(tracer: Tracer): RequestTracer {
  return {
    start: (req, res, service, known, requestId, declaredRoute) =>
      new RequestTrace(tracer, req, res, service, known, requestId, declaredRoute),
  };
}

/**
 * The trace of one request through the gateway: a SERVER span from arrival until the response
 * is done, continuing the caller's `traceparent` when it is valid (a malformed one starts a new
 * trace), and a CLIENT span per try whose context is what the instance receives. Made only when
 * tracing is on: with it off the gateway never constructs one.
 *
 * @example
 * ```ts
 * const requestTrace = new RequestTrace(tracer, req, res, 'orders', true, requestId);
 * const trySpan = requestTrace.startTry(upstream, 1, 'GET', '/42', headers); // headers.traceparent is set
 * ```
 */
export class RequestTrace {
  readonly span: Span;
  /** The context the tries are children of. */
  private readonly context: Context;
  private instance: string | undefined;
  private attempts = 0;

  constructor(
    private readonly tracer: Tracer,
    req: GatewayRequest,
    res: GatewayResponse,
    private readonly service: string,
    /** A registered service: its name is the route; an unknown one must not add span names. */
    known: boolean,
    requestId: string,
    /** A declared route is named by its (configured, so few) name; `/api` ones by the service. */
    declaredRoute?: string,
  ) {
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const method = req.method ?? 'GET';
    const route = declaredRoute ?? (known ? `/api/${service}` : '/api/{service}');
    const attributes: Attributes = {
      'http.request.method': method,
      'url.path': pathOf(req.url),
      'url.scheme': 'encrypted' in req.socket ? 'https' : 'http',
      'network.protocol.version': req.httpVersion,
      'portico.service': service,
      'portico.request_id': requestId,
    };
    if (declaredRoute === undefined) attributes['http.route'] = route;
    else attributes['portico.route'] = declaredRoute;
    if (req.socket.remoteAddress) attributes['client.address'] = req.socket.remoteAddress;
    const agent = req.headers['user-agent'];
    if (agent) attributes['user_agent.original'] = agent;
    addServerAddress(attributes, req.headers.host);
    this.span = tracer.startSpan(`${method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
    this.context = trace.setSpan(ROOT_CONTEXT, this.span);
    // For the access line.
    const seen = observed(res);
    if (seen !== undefined) seen.traceId = this.span.spanContext().traceId;
    res.once('close', () => this.end(res));
  }

  /** The trace this request belongs to: the caller's when continued, else a new one. */
  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /**
   * Starts the span of one try and writes its `traceparent` (and `tracestate`) into the headers
   * the try sends, so the instance's own spans are its children.
   */
  startTry(
    upstream: Upstream,
    attempt: number,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
  ): TrySpan {
    const { instance } = upstream;
    const attributes: Attributes = {
      'http.request.method': method,
      // Without the query: it may carry secrets, and the server span has the path already.
      'url.full': `http://${upstream.address}${pathOf(path)}`,
      'server.address': instance.host,
      'server.port': instance.port,
      'portico.instance': instance.id,
      'portico.attempt': attempt,
    };
    if (attempt > 1) attributes['http.request.resend_count'] = attempt - 1;
    const span = this.tracer.startSpan(
      `${method} ${this.service}`,
      { kind: SpanKind.CLIENT, attributes },
      this.context,
    );
    // The caller's tracestate belongs to the caller's trace; the propagator writes ours, if any.
    if (headers.tracestate !== undefined) delete headers.tracestate;
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter);
    this.instance = instance.id;
    this.attempts = attempt;
    return new TrySpan(span);
  }

  private end(res: GatewayResponse): void {
    const span = this.span;
    if (res.headersSent) {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) {
        span.setAttribute('error.type', String(res.statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    // Closed before the whole answer went out: the caller left, or the instance failed mid-body.
    if (!res.writableFinished) span.setAttribute('portico.incomplete', true);
    if (this.instance !== undefined) {
      span.setAttribute('portico.instance', this.instance);
      span.setAttribute('portico.retries', this.attempts - 1);
    }
    span.end();
  }
}

/** `server.address` and `server.port` from the `Host` header, IPv6 literals included. */
function addServerAddress(attributes: Attributes, host: string | undefined): void {
  if (!host) return;
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  if (!match) return;
  attributes['server.address'] = match[1] as string;
  if (match[2]) attributes['server.port'] = Number(match[2]);
}
