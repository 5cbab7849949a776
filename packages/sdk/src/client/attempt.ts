import { randomUUID } from 'node:crypto';
import { PorticoError } from '../errors.js';
import type { Instance } from '../registry-types.js';
import { endTrySpan, startTrySpan } from '../tracing/client-span.js';
import { AttemptFailure, responseFailure, transportFailure } from './failures.js';
import type { CallOptions, HttpMethod } from './types.js';

/** A call made ready to send, the same for every try. */
export interface PreparedCall {
  service: string;
  method: HttpMethod;
  /** Path with its query, relative to the service. */
  target: string;
  headers: Record<string, string>;
  /** Replayable: a retry sends it again. */
  body: string | Uint8Array | undefined;
}

/** What a successful try gives back. */
export interface TryResult {
  data: unknown;
  status: number;
  headers: Headers;
  instanceId: string;
}

/**
 * Builds the parts of a call that do not depend on the instance: path with query, headers and
 * a body that can be sent again on a retry.
 *
 * @example
 * ```ts
 * const call = prepareCall('orders', 'POST', '/orders', { body: { item: 'book' } }, {});
 * ```
 */
export function prepareCall(
  service: string,
  method: HttpMethod,
  path: string,
  options: CallOptions,
  defaults: Record<string, string>,
): PreparedCall {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...defaults, ...options.headers })) headers[name.toLowerCase()] = value;
  const incoming = options.from?.headers;
  const requestId = options.requestId ?? first(incoming?.['x-request-id']) ?? headers['x-request-id'];
  // One id for every try of the call, so the service's logs tie the retries together.
  headers['x-request-id'] = requestId ?? randomUUID();
  const traceparent = options.traceparent ?? first(incoming?.traceparent);
  if (traceparent !== undefined) headers.traceparent = traceparent;
  const tracestate = first(incoming?.tracestate);
  if (tracestate !== undefined && options.traceparent === undefined) headers.tracestate = tracestate;

  let body: string | Uint8Array | undefined;
  if (options.body === undefined) body = undefined;
  else if (typeof options.body === 'string' || options.body instanceof Uint8Array) body = options.body;
  else {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return { service, method, target: withQuery(path, options.query), headers, body };
}

/**
 * The base URL of an instance: its address (IPv6 literals bracketed) and base path.
 *
 * @example
 * ```ts
 * instanceBase({ host: '::1', port: 3000, basePath: '/orders/' } as Instance); // 'http://[::1]:3000/orders'
 * ```
 */
export function instanceBase(instance: Instance): string {
  const host = instance.host.includes(':') && !instance.host.startsWith('[') ? `[${instance.host}]` : instance.host;
  const basePath = instance.basePath === '/' ? '' : instance.basePath.replace(/\/+$/, '');
  return `http://${host}:${instance.port}${basePath}`;
}

/**
 * Sends one try to one instance and reads the whole answer under `signal` (the per-try
 * timeout). A 2xx gives the envelope's data; anything else throws an {@link AttemptFailure}
 * whose error is the one the service answered with, rebuilt.
 */
export async function tryOnce(
  call: PreparedCall,
  instance: Instance,
  attempt: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<TryResult> {
  let response: Response;
  let text: string;
  const headers = { ...call.headers, 'x-portico-attempt': String(attempt) };
  // Only with an OpenTelemetry SDK registered: each try its own span and traceparent.
  const traced = startTrySpan(call.method, call.service, instance.id, attempt, headers);
  try {
    response = await fetch(instanceBase(instance) + call.target, {
      method: call.method,
      headers: traced?.headers ?? headers,
      body: call.body ?? null,
      signal,
    });
    text = await response.text();
  } catch (cause) {
    if (traced) endTrySpan(traced.span, undefined, cause);
    throw transportFailure(cause, call.service, instance.id, signal.aborted ? timeoutMs : undefined);
  }
  if (traced) endTrySpan(traced.span, response.status, undefined);
  const body = parseBody(text, response.headers.get('content-type'));
  if (response.status >= 200 && response.status < 300) {
    if (body === INVALID) {
      const error = new PorticoError('UPSTREAM_ERROR', `${call.service} answered invalid JSON`, {
        service: call.service,
        instanceId: instance.id,
      });
      throw new AttemptFailure(error, {
        reached: true,
        serviceFailure: false,
        transient: false,
        instanceId: instance.id,
      });
    }
    return { data: unwrap(body), status: response.status, headers: response.headers, instanceId: instance.id };
  }
  const error = PorticoError.fromEnvelope(body === INVALID ? null : body, response.status);
  throw responseFailure(error, response.status, instance.id);
}

const INVALID = Symbol('invalid JSON');

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return undefined;
  if (!contentType || !/[/+]json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

/** The data of a success envelope; any other body as it came (services shape their answers). */
function unwrap(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && (body as { success?: unknown }).success === true && 'data' in body) {
    return (body as { data: unknown }).data;
  }
  return body;
}

function withQuery(path: string, query: CallOptions['query']): string {
  const target = path.startsWith('/') ? path : `/${path}`;
  if (!query) return target;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  }
  const search = params.toString();
  if (search === '') return target;
  return `${target}${target.includes('?') ? '&' : '?'}${search}`;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
