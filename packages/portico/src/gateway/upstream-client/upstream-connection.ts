import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { requestHead } from './request-head.js';
import { ResponseParser, type ResponseSink } from './response-parser.js';
import { UpstreamError } from './upstream-errors.js';

/** One request to an upstream. */
export interface UpstreamRequest {
  method: string;
  /** Path and query, as sent on the request line. */
  path: string;
  /** Header names in lower case; `host` and the body's framing are added by the client. */
  headers: Record<string, string | string[]>;
  /** Streamed after the head once connected; sent chunked unless `content-length` is set. */
  body: Readable | null;
  /** The longest silence allowed while the response body streams in. */
  bodyTimeoutMs: number;
}

/** Who hears how one request went: the head (accept or refuse it), the body, then an end or an error. */
export interface ResponseHandler {
  /** False refuses the answer (a 5xx to retry elsewhere): the connection is dropped. */
  onResponseStart(status: number, headers: IncomingHttpHeaders, statusMessage: string): boolean;
  onResponseData(chunk: Buffer): void;
  /**
   * The response is complete. `last` is its final piece of body when that came in the same read
   * as the end: written together with the end, it saves the caller's socket a separate step.
   */
  onResponseEnd(last: Buffer | undefined): void;
  /** Called at most once, and never after `onResponseEnd`. */
  onResponseError(error: Error): void;
}

/** A request on its way: it can be given up, and its response body held back (backpressure). */
export interface UpstreamCall {
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
}

/** What a connection needs of its pool. */
export interface ConnectionOwner {
  readonly host: string;
  readonly address: string;
  /** The connection finished a response and may carry another. */
  release(connection: UpstreamConnection): void;
  /** The connection closed. */
  forget(connection: UpstreamConnection): void;
}

/** Opens the socket of one connection to `host`:`port`. */
export type SocketOpener = (host: string, port: number) => Socket;

/** How long an idle connection is kept when the upstream gave no `Keep-Alive: timeout`. */
export const DEFAULT_KEEP_ALIVE_MS = 4_000;
/** Margin kept before the upstream's own idle timeout, so we never send on a closing socket. */
const KEEP_ALIVE_MARGIN_MS = 1_000;

/**
 * One keep-alive TCP connection to an upstream, carrying one request at a time. It writes the
 * head (and streams the body with backpressure once connected), parses the answer with
 * {@link ResponseParser} and reports to the request's handler; when the answer is complete and
 * the connection is still sound it goes back to its pool. Timeouts are the socket's own: the
 * connect timeout before `connect`, the body timeout only while a body is still arriving.
 *
 * @example
 * ```ts
 * const connection = new UpstreamConnection(pool, 3000, 1_000);
 * connection.send({ method: 'GET', path: '/x', headers: {}, body: null, bodyTimeoutMs: 30_000 }, handler);
 * ```
 */
export class UpstreamConnection implements ResponseSink, UpstreamCall {
  readonly socket: Socket;
  readonly #parser = new ResponseParser(this);
  #handler: ResponseHandler | undefined;
  #request: UpstreamRequest | undefined;
  #connected = false;
  #chunked = false;
  #sendingBody = false;
  #completed = false;
  #timerArmed = false;
  #paused = false;
  /** The body piece read last, held until the read is parsed: it may be the final one. */
  #held: Buffer | undefined;
  /** When it went back to the pool (ms since epoch). */
  idleSince = 0;
  /** How long it may sit idle before it is closed. */
  keepAliveMs = DEFAULT_KEEP_ALIVE_MS;

  constructor(
    private readonly owner: ConnectionOwner,
    port: number,
    connectTimeoutMs: number,
    open?: SocketOpener,
  ) {
    this.socket = open ? open(owner.host, port) : connect({ host: owner.host, port, noDelay: true });
    this.socket.setTimeout(connectTimeoutMs);
    this.socket.once('connect', this.#onConnect);
    this.socket.on('data', this.#onData);
    this.socket.on('end', this.#onEnd);
    this.socket.on('error', this.#onError);
    this.socket.on('close', this.#onClose);
    this.socket.on('timeout', this.#onTimeout);
    this.socket.on('drain', this.#onDrain);
  }

  /** Sends `request`; `handler` hears the outcome. The connection must be idle. */
  send(request: UpstreamRequest, handler: ResponseHandler): void {
    this.#handler = handler;
    this.#request = request;
    this.#completed = false;
    this.#parser.expect(request.method);
    const { body } = request;
    this.#chunked = body !== null && request.headers['content-length'] === undefined;
    let head: string;
    try {
      head = requestHead(request.method, request.path, this.owner.address, request.headers, this.#chunked);
    } catch (error) {
      // Nothing was written: the connection stays sound.
      this.#handler = undefined;
      this.#request = undefined;
      this.owner.release(this);
      handler.onResponseError(error as Error);
      return;
    }
    this.socket.write(head, 'latin1');
    if (body !== null) {
      this.#sendingBody = true;
      if (this.#connected) this.#streamBody(body);
    }
  }

  abort(reason: Error): void {
    this.#fail(reason);
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
    // The caller reads slowly: the upstream's silence meanwhile is ours, not a timeout.
    if (this.#timerArmed) this.socket.setTimeout(0);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#timerArmed && this.#request !== undefined) this.socket.setTimeout(this.#request.bodyTimeoutMs);
    this.socket.resume();
  }

  /** Closes it (an idle connection past its keep-alive, or a pool that closes). */
  destroy(): void {
    this.socket.destroy();
  }

  // ResponseSink: what the parser found.

  onHead(status: number, reason: string, headers: IncomingHttpHeaders): void {
    const handler = this.#handler;
    if (handler === undefined) return;
    if (!handler.onResponseStart(status, headers, reason)) this.#fail(RESPONSE_REFUSED);
  }

  onBody(chunk: Buffer): void {
    const held = this.#held;
    this.#held = chunk;
    if (held !== undefined) this.#handler?.onResponseData(held);
  }

  /** Hands on the held piece: the read ended without ending the body (a streamed answer stays prompt). */
  #flushHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#handler?.onResponseData(held);
  }

  onComplete(): void {
    this.#completed = true;
  }

  // Socket events.

  readonly #onConnect = (): void => {
    this.#connected = true;
    this.socket.setTimeout(0);
    const body = this.#request?.body;
    if (this.#sendingBody && body) this.#streamBody(body);
  };

  readonly #onData = (data: Buffer): void => {
    if (this.#handler === undefined) {
      // Bytes while idle: the upstream does not follow the protocol; never reuse this socket.
      this.socket.destroy();
      return;
    }
    try {
      this.#parser.execute(data);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (this.#completed) {
      this.#settle();
      return;
    }
    this.#flushHeld();
    if (!this.#timerArmed && !this.#paused && this.#parser.inBody && this.#request !== undefined) {
      // Armed only when a body spans several reads: a small answer costs no timer.
      this.#timerArmed = true;
      this.socket.setTimeout(this.#request.bodyTimeoutMs);
    }
  };

  readonly #onEnd = (): void => {
    if (this.#handler === undefined) {
      this.socket.destroy();
      return;
    }
    try {
      this.#parser.finish();
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (this.#completed) this.#settle();
  };

  readonly #onError = (error: Error): void => {
    this.#fail(error);
  };

  readonly #onClose = (): void => {
    if (this.#handler !== undefined) {
      this.#fail(new UpstreamError('PORTICO_UPSTREAM_CLOSED', 'the upstream connection closed'));
    }
    this.owner.forget(this);
  };

  readonly #onTimeout = (): void => {
    if (!this.#connected) {
      this.#fail(new UpstreamError('PORTICO_CONNECT_TIMEOUT', 'connecting to the upstream timed out'));
      this.socket.destroy();
    } else if (this.#handler !== undefined) {
      this.#fail(new UpstreamError('PORTICO_BODY_TIMEOUT', 'the upstream stopped sending its body'));
    }
  };

  readonly #onDrain = (): void => {
    if (this.#sendingBody) this.#request?.body?.resume();
  };

  // Request body.

  #streamBody(body: Readable): void {
    body.on('data', this.#onBodyData);
    body.once('end', this.#onBodyEnd);
    body.once('error', this.#onBodyError);
  }

  readonly #onBodyData = (chunk: Buffer): void => {
    let flushed: boolean;
    if (this.#chunked) {
      this.socket.cork();
      this.socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      this.socket.write(chunk);
      flushed = this.socket.write('\r\n', 'latin1');
      this.socket.uncork();
    } else {
      flushed = this.socket.write(chunk);
    }
    if (!flushed) this.#request?.body?.pause();
  };

  readonly #onBodyEnd = (): void => {
    if (this.#chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.#stopBody(false);
    if (this.#completed) this.#settle();
  };

  readonly #onBodyError = (error: Error): void => {
    this.#fail(error);
  };

  #stopBody(destroy: boolean): void {
    if (!this.#sendingBody) return;
    this.#sendingBody = false;
    const body = this.#request?.body;
    if (!body) return;
    body.off('data', this.#onBodyData);
    body.off('end', this.#onBodyEnd);
    body.off('error', this.#onBodyError);
    if (destroy) body.destroy();
  }

  /** The answer is complete: tell the handler, and reuse the connection when it is sound. */
  #settle(): void {
    const handler = this.#handler;
    if (handler === undefined) return;
    this.#handler = undefined;
    const last = this.#held;
    this.#held = undefined;
    if (this.#timerArmed) {
      this.#timerArmed = false;
      this.socket.setTimeout(0);
    }
    // Answered before the body was all sent: the request cannot be finished on this socket.
    const reusable = this.#parser.keepAlive && !this.#sendingBody && !this.socket.destroyed;
    this.#stopBody(true);
    this.#request = undefined;
    if (reusable) {
      const hint = this.#parser.keepAliveHintMs;
      this.keepAliveMs = hint === 0 ? DEFAULT_KEEP_ALIVE_MS : hint - KEEP_ALIVE_MARGIN_MS;
      this.owner.release(this);
    } else {
      this.socket.destroy();
    }
    handler.onResponseEnd(last);
  }

  /** The exchange failed: the socket cannot be trusted to be in step any more, so it closes. */
  #fail(error: Error): void {
    const handler = this.#handler;
    if (handler === undefined) return;
    this.#handler = undefined;
    this.#held = undefined;
    this.#stopBody(true);
    this.#request = undefined;
    this.socket.destroy();
    handler.onResponseError(error);
  }
}

/** What a handler hears when it refused the head itself (`onResponseStart` returned false). */
export const RESPONSE_REFUSED = new Error('response refused by its handler');
