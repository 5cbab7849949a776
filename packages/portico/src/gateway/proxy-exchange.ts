import { type IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ErrorCode } from '@portico/sdk';
import { sendError, setHeaders } from '../http/envelope-response.js';
import type { GatewayRequest, GatewayResponse } from '../http/gateway-message.js';
import { observed, type ResponseRecord } from '../http/observed-response.js';
import type { RequestTrace } from '../tracing/request-trace.js';
import { upstreamHeaders } from './forward-headers.js';
import { type CachedResponse, isCacheable } from './resilience/fallback-cache.js';
import type { OutlierDetector } from './resilience/outlier-detector.js';
import { retryBudget, type ServiceRoute } from './routing-table.js';
import type { StrippedHeaders } from './stripped-headers.js';
import type { Upstream } from './upstream.js';
import { BodyTooLargeError, UpstreamBody } from './upstream-body.js';
import { CLIENT_GONE, RETRYING, TRY_TIMEOUT, UpstreamTry } from './upstream-try.js';

/** What the exchange needs of the gateway besides the route. */
export interface ExchangeContext {
  maxBodyBytes: number;
  /** `gateway.securityHeaders` as pairs: added to every proxied answer that lacks them. */
  securityHeaders: readonly (readonly [string, string])[];
  /** Told how every try went. */
  outliers: OutlierDetector;
  /** Request headers no service receives (`gateway.strippedHeaders`), unless a route's policy says otherwise. */
  strippedHeaders: StrippedHeaders;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Errors that prove the request never left the gateway: safe to send anywhere else. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'PORTICO_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PORTICO_POOL_CLOSED',
]);
const TIMEOUTS = new Set(['PORTICO_TRY_TIMEOUT', 'PORTICO_BODY_TIMEOUT', 'PORTICO_CONNECT_TIMEOUT']);

/**
 * One request through the gateway: tries an instance, and when a try fails before any answer
 * reached the caller, tries another one if that is safe (idempotent method, or the request
 * never left; body not yet read), within the attempt limit, the total deadline and the
 * service's retry budget. Streams bodies both ways with backpressure. When nothing worked it
 * answers from the fallback cache or with the envelope, and tells the breaker.
 */
export class ProxyExchange {
  private readonly method: string;
  private readonly idempotent: boolean;
  /**
   * The caller's body to stream upstream, if it sends one. Only node:http's requests can: the
   * gateway's own server serves bodiless requests alone and hands the others to node:http, so a
   * request of its own never gets here with a body, whatever its headers spell.
   */
  private readonly bodySource: IncomingMessage | undefined;
  private headers: Record<string, string | string[]> | undefined;
  private body: UpstreamBody | null = null;
  private tried: Upstream[] | undefined;
  private attempts = 0;
  private deadline = 0;
  private current: UpstreamTry | undefined;
  private finished = false;
  private lastFailure: [ErrorCode, string] | undefined;
  private cacheChunks: Buffer[] | undefined;
  private cacheBytes = 0;
  private cacheHead: [number, IncomingHttpHeaders] | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Where the access line's instance, retries, upstream time and cache hit are noted. */
  private readonly seen: ResponseRecord | undefined;

  constructor(
    private readonly req: GatewayRequest,
    private readonly res: GatewayResponse,
    private readonly route: ServiceRoute,
    private readonly path: string,
    private readonly requestId: string,
    private readonly context: ExchangeContext,
    /** Headers the policies add for the service (they replace the caller's of the same name). */
    private readonly forward?: Record<string, string>,
    /** The request's spans; only when tracing is on. */
    private readonly trace?: RequestTrace,
    /** Headers the policies add to the answer (rate-limit state); the service's own win. */
    private readonly answer?: Record<string, string>,
    /** The route's own list of headers not forwarded (its `identityHeaders` policy); else the gateway's. */
    private readonly stripped?: StrippedHeaders,
  ) {
    this.method = req.method as string;
    this.idempotent = IDEMPOTENT.has(this.method);
    const length = req.headers['content-length'];
    const sendsBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
    this.bodySource = sendsBody && req instanceof IncomingMessage ? req : undefined;
    this.seen = observed(res);
  }

  start(): void {
    const length = this.req.headers['content-length'];
    // An unread body is discarded by Node once the answer is sent, so the caller reads the 413.
    if (length !== undefined && Number(length) > this.context.maxBodyBytes) {
      this.sendEnvelope('PAYLOAD_TOO_LARGE', `the body is larger than ${this.context.maxBodyBytes} bytes`);
      return;
    }
    this.route.active++;
    // The gateway's server tells an observed response's exchange when it closes: no listener per request.
    if (this.seen !== undefined) this.seen.exchange = this;
    else this.res.once('close', this.onClientClose);
    const now = Date.now();
    this.deadline = now + this.route.policy.totalTimeoutMs;
    if (!this.route.breaker.allow(now)) {
      this.giveUp('SERVICE_UNAVAILABLE', `service ${this.route.name} is failing: its circuit breaker is open`, false);
      return;
    }
    // Paid into the budget once per request that goes out; its retries draw from it.
    retryBudget(this.route).request(now);
    this.tryNext(now);
  }

  /** Called by a try when the response headers arrived; false means "discarded, retrying". */
  onTryResponse(attempt: UpstreamTry, status: number, headers: IncomingHttpHeaders, statusMessage?: string): boolean {
    const now = Date.now();
    const upstreamMs = performance.now() - attempt.startedAt;
    this.route.metrics.upstreamAnswered(upstreamMs / 1000);
    if (this.seen !== undefined) this.seen.upstreamMs = upstreamMs;
    const failed = status >= 500;
    this.tryOutcome(attempt.upstream, !failed, now);
    if (failed && this.route.policy.retries.onStatus.includes(status) && this.idempotent && this.mayRetry(now)) {
      this.lastFailure = ['UPSTREAM_ERROR', `service ${this.route.name} answered ${status}`];
      this.retryLater(now);
      return false;
    }
    if (failed) this.route.breaker.onFailure(now);
    else this.route.breaker.onSuccess();
    if (this.route.cache && isCacheable(this.method, this.req.headers, status, headers)) {
      this.cacheChunks = [];
      this.cacheHead = [status, { ...headers }];
    }
    // The client already left out hop-by-hop headers (see ResponseParser).
    headers['x-request-id'] = this.requestId;
    const answer = this.answer;
    if (answer !== undefined) {
      for (const name in answer) if (headers[name] === undefined) headers[name] = answer[name];
    }
    const security = this.context.securityHeaders;
    for (let i = 0; i < security.length; i++) {
      const [name, value] = security[i] as readonly [string, string];
      // The service knows its content best (an HTML page that may be framed): its value wins.
      if (headers[name] === undefined) headers[name] = value;
    }
    this.res.writeHead(status, statusMessage || undefined, headers as Record<string, string | string[]>);
    return true;
  }

  onTryData(attempt: UpstreamTry, chunk: Buffer): void {
    if (this.cacheChunks) this.keepForCache(chunk);
    if (!this.res.write(chunk)) {
      attempt.pause();
      this.res.once('drain', () => attempt.resume());
    }
  }

  /** The answer is complete; `last` is its final body piece, written with the end in one step. */
  onTryEnd(last: Buffer | undefined): void {
    if (last !== undefined && this.cacheChunks) this.keepForCache(last);
    this.res.end(last);
    if (this.cacheChunks && this.cacheHead && this.route.cache) {
      const [status, headers] = this.cacheHead;
      this.route.cache.store(this.cacheKey(), {
        status,
        headers,
        body: Buffer.concat(this.cacheChunks, this.cacheBytes),
        storedAt: Date.now(),
      });
    }
    this.finish();
  }

  private keepForCache(chunk: Buffer): void {
    this.cacheBytes += chunk.length;
    if (this.cacheBytes > this.route.policy.fallback.maxEntryBytes) this.cacheChunks = undefined;
    else this.cacheChunks?.push(chunk);
  }

  onTryError(attempt: UpstreamTry, error: Error): void {
    if (this.finished || error === CLIENT_GONE) {
      this.finish();
      return;
    }
    if (error === RETRYING) return;
    const now = Date.now();
    if (this.body?.tooLarge || error instanceof BodyTooLargeError) {
      this.sendEnvelope('PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
      this.finish();
      return;
    }
    if (this.res.headersSent) {
      // The answer had begun: all we can do is cut it, so the caller sees it incomplete.
      this.tryOutcome(attempt.upstream, false, now);
      this.route.breaker.onFailure(now);
      this.res.destroy(error);
      this.finish();
      return;
    }
    const code = codeOf(error);
    const neverSent = NEVER_SENT.has(code);
    this.tryOutcome(attempt.upstream, false, now);
    this.lastFailure = TIMEOUTS.has(code)
      ? ['UPSTREAM_TIMEOUT', `service ${this.route.name} did not answer in time`]
      : ['UPSTREAM_ERROR', `service ${this.route.name} failed: ${code || error.message}`];
    if ((this.idempotent || neverSent) && this.mayRetry(now)) {
      this.retryLater(now);
      return;
    }
    this.giveUp(this.lastFailure[0], this.lastFailure[1], true);
  }

  private tryOutcome(upstream: Upstream, ok: boolean, now: number): void {
    if (ok) this.context.outliers.onSuccess(upstream);
    else this.context.outliers.onFailure(upstream, this.route.policy.outlier, now);
  }

  private tryNext(now: number): void {
    const upstream = this.pick();
    if (upstream === undefined) {
      const [code, message] = this.lastFailure ?? [
        'SERVICE_UNAVAILABLE',
        `service ${this.route.name} has no live instance`,
      ];
      this.giveUp(code, message, this.lastFailure !== undefined);
      return;
    }
    this.attempts++;
    this.tried ??= [];
    this.tried.push(upstream);
    if (this.seen !== undefined) {
      this.seen.instance = upstream.instance.id;
      this.seen.attempts = this.attempts;
    }
    if (this.bodySource !== undefined) this.body = new UpstreamBody(this.bodySource, this.context.maxBodyBytes);
    this.headers ??= upstreamHeaders(
      this.req,
      this.requestId,
      this.stripped ?? this.context.strippedHeaders,
      this.forward,
    );
    const policy = this.route.policy;
    const attempt = new UpstreamTry(this, upstream);
    this.current = attempt;
    const path = upstream.pathPrefix + this.path;
    if (this.trace !== undefined) {
      attempt.span = this.trace.startTry(upstream, this.attempts, this.method, path, this.headers);
    }
    attempt.dispatch(
      { path, method: this.method, headers: this.headers, body: this.body, bodyTimeoutMs: policy.tryTimeoutMs },
      Math.max(1, Math.min(policy.tryTimeoutMs, this.deadline - now)),
    );
  }

  /** The balancer's choice on the first try; on a retry, any instance not tried yet. */
  private pick(): Upstream | undefined {
    const upstreams = this.route.upstreams;
    if (this.tried === undefined) return upstreams.length === 0 ? undefined : this.route.balancer.pick(upstreams);
    const untried = upstreams.filter((u) => !this.tried?.includes(u));
    return untried.length === 0 ? undefined : this.route.balancer.pick(untried);
  }

  /**
   * Whether one more try is allowed: attempts left, an untried instance, a body that was not
   * read, time before the deadline, and room in the service's retry budget (checked last, so
   * only a retry that will be sent is counted): `budgetPercent` of the requests of the last
   * `budgetWindowMs`, or `budgetMinRetriesPerSecond`.
   */
  private mayRetry(now: number): boolean {
    const { retries } = this.route.policy;
    if (this.attempts >= retries.attempts || now >= this.deadline) return false;
    if (this.body?.started) return false;
    if (!this.route.upstreams.some((u) => !this.tried?.includes(u))) return false;
    return retryBudget(this.route).tryRetry(now);
  }

  private retryLater(now: number): void {
    this.route.metrics.retried();
    const { backoffBaseMs, backoffMaxMs } = this.route.policy.retries;
    // Full jitter: spreads the retries of many callers instead of synchronising them.
    const delay = Math.random() * Math.min(backoffMaxMs, backoffBaseMs * 2 ** (this.attempts - 1));
    if (delay < 1) {
      this.tryNext(now);
      return;
    }
    this.retryTimer = setTimeout(() => this.tryNext(Date.now()), Math.min(delay, this.deadline - now));
  }

  /** Nothing more to try: the fallback answer if there is one, else the envelope. */
  private giveUp(code: ErrorCode, message: string, countAsFailure: boolean): void {
    const now = Date.now();
    if (countAsFailure) this.route.breaker.onFailure(now);
    const found = this.method === 'GET' ? this.route.cache?.lookup(this.cacheKey(), now) : undefined;
    if (found instanceof Promise) {
      // Not kept by this gateway: a shared store is asked (the failure path only).
      found.then(
        (cached) => this.answerFallback(cached, code, message),
        () => this.answerFallback(undefined, code, message),
      );
      return;
    }
    this.answerFallback(found, code, message, now);
  }

  private answerFallback(cached: CachedResponse | undefined, code: ErrorCode, message: string, now = Date.now()): void {
    // The caller may have left while a shared store was asked.
    if (this.finished) return;
    if (cached) this.sendCached(cached, now);
    else this.sendEnvelope(code, message);
    this.finish();
  }

  private sendCached(cached: CachedResponse, now: number): void {
    const headers: IncomingHttpHeaders = { ...cached.headers, ...this.answer };
    headers['x-request-id'] = this.requestId;
    headers['x-portico-cache'] = 'stale';
    headers.age = String(Math.floor((now - cached.storedAt) / 1000));
    headers['content-length'] = String(cached.body.length);
    if (this.seen !== undefined) this.seen.cacheHit = true;
    this.res.writeHead(cached.status, headers as Record<string, string | string[]>);
    this.res.end(cached.body);
  }

  /** The gateway's own answer, with the policies' headers (rare path: setHeader is fine here). */
  private sendEnvelope(code: ErrorCode, message: string): void {
    setHeaders(this.res, this.answer);
    sendError(this.res, this.requestId, code, message);
  }

  private cacheKey(): string {
    return this.path;
  }

  /** The caller's response closed: finished, or the caller left before it was. */
  readonly onClientClose = (): void => {
    if (this.finished) return;
    this.current?.abort(CLIENT_GONE);
    this.finish();
  };

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.retryTimer);
    this.route.active--;
  }
}

function codeOf(error: Error): string {
  if (error === TRY_TIMEOUT) return 'PORTICO_TRY_TIMEOUT';
  return (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code ?? '';
}
