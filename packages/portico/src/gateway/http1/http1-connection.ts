import type { Socket } from 'node:net';
import { answerClientError } from '../../http/client-error.js';
import { type Http1Request, Http1Response, type ResponseConnection } from './http1-response.js';
import { parseRequestHead, RequestParseError } from './request-head.js';
import { routeTarget } from './request-target.js';

/** What a connection needs of its server. */
export interface ConnectionHost {
  readonly maxHeaderBytes: number;
  readonly keepAliveTimeoutSeconds: number;
  readonly headersTimeoutMs: number;
  readonly closing: boolean;
  /**
   * Serves one request; false means "not mine": the connection is then handed, from this request
   * on, to node:http (bodies, upgrades, `Expect`, and paths only node:http serves).
   */
  serve(req: Http1Request, res: Http1Response): boolean;
  /** The answer is complete, or the caller left before it was. */
  closed(res: Http1Response): void;
  handOver(socket: Socket): void;
  forget(connection: Http1Connection): void;
}

/** Unparsed bytes kept while an answer is under way (pipelined requests) before reading pauses. */
const MAX_PIPELINED_BYTES = 64 * 1024;

/**
 * One client connection of the gateway's own HTTP/1.1 server: reads request heads, one request
 * at a time (a pipelined request waits until the answer before it is complete, as RFC 9112 §9.3.2
 * asks), keeps the connection alive when both sides allow it, and closes it when the caller is
 * idle past the keep-alive timeout or sends a head too slowly. A request that is not the fast
 * path's (see {@link ConnectionHost.serve}) hands the connection to node:http, bytes and all.
 *
 * @example
 * ```ts
 * netServer.on('connection', (socket) => new Http1Connection(socket, host));
 * ```
 */
export class Http1Connection implements ResponseConnection {
  #pending: Buffer | undefined;
  #current: Http1Response | undefined;
  /** When the first bytes of the head being read arrived; 0 when none are waiting. */
  #headStartedAt = 0;
  #handedOver = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(host.keepAliveTimeoutSeconds * 1000);
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
  }

  get closing(): boolean {
    return this.host.closing;
  }

  get keepAliveTimeoutSeconds(): number {
    return this.host.keepAliveTimeoutSeconds;
  }

  /** No answer under way and no request begun: safe to close at once. */
  get idle(): boolean {
    return this.#current === undefined && this.#pending === undefined;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#pending === undefined) {
      this.#pending = chunk;
    } else {
      this.#pending = Buffer.concat([this.#pending, chunk]);
    }
    if (this.#current !== undefined) {
      // A pipelined request: read once the answer before it is out; stop reading meanwhile if many.
      if (this.#pending.length > MAX_PIPELINED_BYTES) this.socket.pause();
      return;
    }
    this.#next();
  };

  /** Reads the next request from the bytes at hand, if a whole head is there. */
  #next(): void {
    const pending = this.#pending;
    if (pending === undefined || this.#handedOver) return;
    let parsed: ReturnType<typeof parseRequestHead>;
    try {
      parsed = parseRequestHead(pending, 0, this.host.maxHeaderBytes);
    } catch (error) {
      if (!(error instanceof RequestParseError)) throw error;
      this.#refuse(error.code);
      return;
    }
    if (parsed === undefined) {
      const now = Date.now();
      if (this.#headStartedAt === 0) this.#headStartedAt = now;
      else if (now - this.#headStartedAt > this.host.headersTimeoutMs) this.#refuse('ERR_HTTP_REQUEST_TIMEOUT');
      return;
    }
    this.#headStartedAt = 0;
    const { head, end } = parsed;
    if (head.contentLength !== 0 || head.upgrade || head.expect !== undefined) {
      this.#handOver();
      return;
    }
    // Origin-form, slashes merged, the target's authority as Host: what is routed is what is forwarded.
    const url = routeTarget(head.url, head.headers);
    if (url === undefined) {
      this.#refuse('BAD_REQUEST');
      return;
    }
    const req: Http1Request = {
      method: head.method,
      url,
      httpVersion: head.httpVersion,
      headers: head.headers,
      socket: this.socket,
      keepAlive: head.keepAlive,
    };
    const res = new Http1Response(req, this);
    this.#current = res;
    // Kept before serving: a pipelined request behind this one must not be lost.
    const rest = end === pending.length ? undefined : pending.subarray(end);
    this.#pending = rest;
    if (!this.host.serve(req, res)) {
      this.#current = undefined;
      this.#pending = pending;
      this.#handOver();
    }
  }

  readonly lastWritten = (error?: Error | null): void => {
    const res = this.#current;
    if (res === undefined || error) return;
    res.writableFinished = true;
    this.#settle(res);
    if (!res.keepAlive) {
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.#next();
  };

  cut(res: Http1Response, _error?: Error): void {
    if (res === this.#current) this.socket.destroy();
  }

  /** The answer is complete or abandoned: told once, then the next request may start. */
  #settle(res: Http1Response): void {
    this.#current = undefined;
    res.closed();
    this.host.closed(res);
  }

  /**
   * Gives the connection to node:http from the request at the start of the unparsed bytes on:
   * it reads them again as if they had just arrived.
   */
  #handOver(): void {
    const socket = this.socket;
    this.#handedOver = true;
    socket.off('data', this.#onData);
    socket.off('drain', this.#onDrain);
    socket.off('timeout', this.#onTimeout);
    socket.off('error', this.#onError);
    socket.off('end', this.#onEnd);
    socket.off('close', this.#onClose);
    socket.setTimeout(0);
    socket.pause();
    if (this.#pending !== undefined) socket.unshift(this.#pending);
    this.#pending = undefined;
    this.host.forget(this);
    this.host.handOver(socket);
    socket.resume();
  }

  /** A head that can never be a valid request: answered with the envelope, then the connection closes. */
  #refuse(code: string): void {
    this.#pending = undefined;
    this.socket.off('data', this.#onData);
    answerClientError({ code }, this.socket);
  }

  readonly #onDrain = (): void => {
    this.#current?.drained();
  };

  readonly #onTimeout = (): void => {
    // An answer under way is bounded by the upstream's own timeouts, not by the caller's silence.
    if (this.#current === undefined) this.socket.destroy();
  };

  readonly #onError = (): void => {
    // A reset by the caller: 'close' follows and settles any answer under way.
  };

  readonly #onEnd = (): void => {
    // The caller sent FIN: like node:http (without httpAllowHalfOpen), the gateway takes it as the
    // caller leaving, so the forward under way is abandoned rather than finished for no one.
    if (this.#current === undefined) this.socket.end();
    else this.socket.destroy();
  };

  readonly #onClose = (): void => {
    const res = this.#current;
    if (res !== undefined) {
      res.destroyed = true;
      this.#settle(res);
    }
    this.#pending = undefined;
    this.host.forget(this);
  };

  /** Ends the connection now if nothing is under way; else after the answer (it says `connection: close`). */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy();
  }
}
