import type { IncomingHttpHeaders } from 'node:http';
import type { TrySpan } from '../tracing/try-span.js';
import type { ProxyExchange } from './proxy-exchange.js';
import type { Upstream } from './upstream.js';
import {
  RESPONSE_REFUSED,
  type ResponseHandler,
  type UpstreamCall,
  type UpstreamRequest,
} from './upstream-client/upstream-connection.js';

/** Why the gateway itself ended a try; each is told apart from an upstream's own failure. */
export const TRY_TIMEOUT = Object.assign(new Error('the instance did not answer in time'), {
  code: 'PORTICO_TRY_TIMEOUT',
});
/** A 5xx answer the exchange refused in order to retry elsewhere. */
export const RETRYING = RESPONSE_REFUSED;
export const CLIENT_GONE = Object.assign(new Error('client closed the connection'), { code: 'PORTICO_CLIENT_GONE' });

/**
 * One try of a request on one upstream: the handler of one call on the upstream's connection
 * pool. It owns the per-try timer (until the response head arrives) and hands everything else
 * to its exchange, which decides whether to stream, retry or answer with an error. A try's late
 * callbacks can never touch another try, because each try is its own handler, and once settled
 * it no longer controls the connection, which may already carry another request.
 */
export class UpstreamTry implements ResponseHandler {
  /** This try's span; set by the exchange only when tracing is on. */
  span: TrySpan | undefined;
  private call: UpstreamCall | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  /** `performance.now()` at dispatch: the start of the upstream latency. */
  startedAt = 0;

  constructor(
    private readonly exchange: ProxyExchange,
    readonly upstream: Upstream,
  ) {}

  /** Sends the request; the timer runs until the response head arrives. */
  dispatch(request: UpstreamRequest, timeoutMs: number): void {
    this.upstream.outstanding++;
    this.upstream.tries++;
    this.startedAt = performance.now();
    this.timer = setTimeout(() => this.abort(TRY_TIMEOUT), timeoutMs);
    this.call = this.upstream.pool.dispatch(request, this);
  }

  abort(reason: Error): void {
    if (!this.settled) this.call?.abort(reason);
  }

  /** Holds the upstream's body back while the caller's connection is full. */
  pause(): void {
    if (!this.settled) this.call?.pause();
  }

  resume(): void {
    if (!this.settled) this.call?.resume();
  }

  onResponseStart(statusCode: number, headers: IncomingHttpHeaders, statusMessage: string): boolean {
    clearTimeout(this.timer);
    if (this.span !== undefined) this.span.answered(statusCode);
    return this.exchange.onTryResponse(this, statusCode, headers, statusMessage);
  }

  onResponseData(chunk: Buffer): void {
    this.exchange.onTryData(this, chunk);
  }

  onResponseEnd(last: Buffer | undefined): void {
    if (this.span !== undefined) this.endSpan(undefined);
    if (this.settle()) this.exchange.onTryEnd(last);
  }

  onResponseError(error: Error): void {
    clearTimeout(this.timer);
    // A discarded 5xx was recorded when it arrived; it is not an error of the transport.
    if (this.span !== undefined) this.endSpan(error === RETRYING ? undefined : error);
    if (this.settle()) this.exchange.onTryError(this, error);
  }

  private endSpan(error: Error | undefined): void {
    (this.span as TrySpan).ended(error);
    this.span = undefined;
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.upstream.outstanding--;
    return true;
  }
}
