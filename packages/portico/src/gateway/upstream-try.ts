import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { TrySpan } from '../tracing/try-span.js';
import type { ProxyExchange } from './proxy-exchange.js';
import type { Upstream } from './upstream.js';

/** Why the gateway itself ended a try; each is told apart from an upstream's own failure. */
export const TRY_TIMEOUT = Object.assign(new Error('the instance did not answer in time'), {
  code: 'PORTICO_TRY_TIMEOUT',
});
export const RETRYING = new Error('answer discarded: retrying elsewhere');
export const CLIENT_GONE = Object.assign(new Error('client closed the connection'), { code: 'PORTICO_CLIENT_GONE' });

/**
 * One try of a request on one upstream: undici's dispatch handler. It owns the per-try timer
 * (precise: undici's own timers tick in half seconds) and hands everything else to its
 * exchange, which decides whether to stream, retry or answer with an error. A try's late
 * callbacks can never touch another try, because each try is its own handler.
 */
export class UpstreamTry implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined;
  /** This try's span; set by the exchange only when tracing is on. */
  span: TrySpan | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  /** `performance.now()` at dispatch: the start of the upstream latency. */
  startedAt = 0;

  constructor(
    private readonly exchange: ProxyExchange,
    readonly upstream: Upstream,
  ) {}

  /** Dispatches; the timer runs until the response headers arrive. */
  dispatch(options: Dispatcher.DispatchOptions, timeoutMs: number): void {
    this.upstream.outstanding++;
    this.upstream.tries++;
    this.startedAt = performance.now();
    this.timer = setTimeout(() => this.abort(TRY_TIMEOUT), timeoutMs);
    this.upstream.pool.dispatch(options, this);
  }

  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  private pendingAbort: Error | undefined;

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return;
    clearTimeout(this.timer);
    if (this.span !== undefined) this.span.answered(statusCode);
    if (!this.exchange.onTryResponse(this, statusCode, headers, statusMessage)) controller.abort(RETRYING);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.exchange.onTryData(controller, chunk);
  }

  onResponseEnd(): void {
    if (this.span !== undefined) this.endSpan(undefined);
    if (this.settle()) this.exchange.onTryEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
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
