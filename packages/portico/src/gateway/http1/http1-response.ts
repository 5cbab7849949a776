import { type OutgoingHttpHeaders, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayRequest } from '../../http/gateway-message.js';
import { RECORDED, type ResponseRecord } from '../../http/observed-response.js';
import type { ServiceMetrics } from '../../observability/service-metrics.js';
import { headerLine } from '../upstream-client/request-head.js';
import { httpDate } from './http-date.js';

/** A request as the gateway's own server read it: the head only (bodies go to node:http). */
export interface Http1Request extends GatewayRequest {
  readonly method: string;
  readonly url: string;
  /** Whether the caller lets the connection carry another request after this one. */
  readonly keepAlive: boolean;
}

/** What a response needs of the connection it is written on. */
export interface ResponseConnection {
  readonly socket: Socket;
  /** The server is shutting down: every answer says `connection: close`. */
  readonly closing: boolean;
  readonly keepAliveTimeoutSeconds: number;
  /** Given to the write of an answer's last bytes: the answer is complete once they are out. */
  readonly lastWritten: (error?: Error | null) => void;
  /** The answer was cut off: the connection is closed. */
  cut(res: Http1Response, error?: Error): void;
}

const NO_HEADERS: OutgoingHttpHeaders = {};
/** Bodies up to this size are copied behind the head and sent in one buffer (one write, no writev). */
const COALESCE_BYTES = 16 * 1024;

/**
 * A response of the gateway's own HTTP/1.1 server: the part of `ServerResponse` the gateway uses
 * ({@link GatewayResponse}), written straight to the socket. The head is held until the first
 * body bytes (or the end) so a small answer leaves in one write; the framing follows the answer:
 * its own `Content-Length`, else chunked (HTTP/1.1) or close-delimited (HTTP/1.0); HEAD, 1xx,
 * 204 and 304 answers carry no body. It carries the access line's and metrics' fields
 * ({@link ResponseRecord}) like node:http's `ObservedResponse`.
 *
 * @example
 * ```ts
 * const res = new Http1Response(req, connection);
 * res.writeHead(200, { 'content-length': '2' });
 * res.end('ok');
 * ```
 */
export class Http1Response implements ResponseRecord {
  readonly startedAt = performance.now();
  readonly socketBytesBefore: number;
  requestId = '';
  traceId: string | undefined = undefined;
  route: string | undefined = undefined;
  service: string | undefined = undefined;
  metrics: ServiceMetrics | undefined = undefined;
  instance: string | undefined = undefined;
  tenant: string | undefined = undefined;
  user: string | undefined = undefined;
  attempts = 0;
  cacheHit = false;
  upstreamMs = -1;
  exchange: { onClientClose(): void } | undefined = undefined;
  errorCode: string | undefined = undefined;

  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  /** Whether the connection may carry another request after this answer (decided by writeHead). */
  keepAlive = false;
  /** Headers set before writeHead, by lower-case name. */
  #headers: OutgoingHttpHeaders | undefined;
  /** The head, written with the first body bytes or the end. */
  #head: string | undefined;
  #chunked = false;
  #noBody = false;
  /** What the headers written said about framing (set while the head is built, once). */
  #saidLength = false;
  #saidDate = false;
  #saidClose = false;
  /**
   * The `once` listeners of the two events the gateway listens for. Not an EventEmitter: its
   * per-response set-up showed in the hot path's profile (~1 %), and nothing else is emitted.
   */
  #onClose: (() => void)[] | undefined;
  #onDrain: (() => void)[] | undefined;

  constructor(
    readonly req: Http1Request,
    private readonly connection: ResponseConnection,
  ) {
    this.socketBytesBefore = connection.socket.bytesWritten;
  }

  get [RECORDED](): true {
    return true;
  }

  bytesSent(): number {
    return this.connection.socket.bytesWritten - this.socketBytesBefore;
  }

  /** Calls `listener` once, at the next `close` (the answer complete or abandoned) or `drain`. */
  once(event: 'close' | 'drain', listener: () => void): this {
    if (event === 'close') this.#onClose = append(this.#onClose, listener);
    else this.#onDrain = append(this.#onDrain, listener);
    return this;
  }

  /** The connection says the answer is complete or abandoned: the `close` listeners run. */
  closed(): void {
    const listeners = this.#onClose;
    this.#onClose = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /** The socket's buffer emptied: the `drain` listeners run. */
  drained(): void {
    const listeners = this.#onDrain;
    this.#onDrain = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.headersSent) throw headersSentError('set a header');
    this.#headers ??= {};
    this.#headers[name.toLowerCase()] = value as number | string | string[];
    return this;
  }

  getHeader(name: string): number | string | string[] | undefined {
    return this.#headers?.[name.toLowerCase()];
  }

  writeHead(status: number, reasonOrHeaders?: string | OutgoingHttpHeaders, maybeHeaders?: OutgoingHttpHeaders): this {
    if (this.headersSent) throw headersSentError('write the head');
    const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
    const headers = (typeof reasonOrHeaders === 'object' ? reasonOrHeaders : maybeHeaders) ?? NO_HEADERS;
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new RangeError(`invalid status code ${status}`);
    }
    this.statusCode = status;
    this.#noBody = status < 200 || status === 204 || status === 304 || this.req.method === 'HEAD';
    let head = `HTTP/1.1 ${status} ${reason === undefined ? (STATUS_CODES[status] ?? 'Unknown') : checkedReason(reason)}\r\n`;
    const set = this.#headers;
    if (set !== undefined) {
      for (const name in set) if (headers[name] === undefined) head += this.#lines(name, set[name]);
    }
    for (const name in headers) head += this.#lines(name, headers[name]);
    if (!this.#saidDate) head += `date: ${httpDate()}\r\n`;
    const { connection, req } = this;
    // Without a length the body's end must be told: chunks in HTTP/1.1, closing in HTTP/1.0.
    const closeDelimited = !this.#noBody && !this.#saidLength && req.httpVersion !== '1.1';
    if (!this.#noBody && !this.#saidLength && !closeDelimited) {
      this.#chunked = true;
      head += 'transfer-encoding: chunked\r\n';
    }
    this.keepAlive = req.keepAlive && !connection.closing && !closeDelimited && !this.#saidClose;
    head += this.keepAlive
      ? `connection: keep-alive\r\nkeep-alive: timeout=${connection.keepAliveTimeoutSeconds}\r\n\r\n`
      : 'connection: close\r\n\r\n';
    this.#head = head;
    this.headersSent = true;
    return this;
  }

  /**
   * The lines of one header. The framing headers are the server's to write (`transfer-encoding`,
   * `connection`, `keep-alive`): they are read, not copied; a `connection: close` is honoured.
   */
  #lines(name: string, value: number | string | readonly string[] | undefined): string {
    if (value === undefined) return '';
    switch (name) {
      case 'content-length':
        this.#saidLength = true;
        break;
      case 'date':
        this.#saidDate = true;
        break;
      case 'connection':
        if (String(value).toLowerCase().includes('close')) this.#saidClose = true;
        return '';
      case 'transfer-encoding':
      case 'keep-alive':
        return '';
    }
    if (typeof value === 'string') return headerLine(name, value);
    if (typeof value === 'number') return headerLine(name, String(value));
    let lines = '';
    for (let i = 0; i < value.length; i++) lines += headerLine(name, value[i] as string);
    return lines;
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableEnded || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    return this.#send(chunk, false);
  }

  end(chunk?: Buffer | string): this {
    if (this.writableEnded || this.destroyed) return this;
    if (!this.headersSent) {
      // The whole body is known: say its length rather than chunk it, as node:http does.
      if (chunk !== undefined && this.#headers?.['content-length'] === undefined) {
        this.setHeader('content-length', Buffer.byteLength(chunk));
      }
      this.writeHead(this.statusCode);
    }
    this.writableEnded = true;
    this.#send(chunk, true);
    return this;
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.connection.cut(this, error);
    return this;
  }

  /**
   * Writes the held head (if not yet written), `chunk` framed as the answer's coding, and on the
   * last piece the chunked terminator, with the connection told once the last bytes are out.
   */
  #send(chunk: Buffer | string | undefined, last: boolean): boolean {
    let prefix = this.#head ?? '';
    this.#head = undefined;
    let suffix = '';
    const bytes = chunk === undefined || this.#noBody ? EMPTY : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#chunked) {
      if (bytes.length > 0) {
        prefix += `${bytes.length.toString(16)}\r\n`;
        suffix = '\r\n';
      }
      if (last) suffix += LAST_CHUNK;
    }
    const socket = this.connection.socket;
    const done = last ? this.connection.lastWritten : undefined;
    if (bytes.length === 0) {
      if (prefix === '' && suffix === '' && done === undefined) return true;
      return socket.write(prefix + suffix, 'latin1', done);
    }
    const total = prefix.length + bytes.length + suffix.length;
    if (total <= COALESCE_BYTES) {
      // One buffer, one write: cheaper than the writev Node makes of separate pieces.
      const out = Buffer.allocUnsafe(total);
      out.write(prefix, 0, 'latin1');
      bytes.copy(out, prefix.length);
      if (suffix !== '') out.write(suffix, prefix.length + bytes.length, 'latin1');
      return socket.write(out, done);
    }
    socket.cork();
    if (prefix !== '') socket.write(prefix, 'latin1');
    let room = socket.write(bytes, suffix === '' ? done : undefined);
    if (suffix !== '') room = socket.write(suffix, 'latin1', done);
    socket.uncork();
    return room;
  }
}

const EMPTY = Buffer.alloc(0);

function append(listeners: (() => void)[] | undefined, listener: () => void): (() => void)[] {
  if (listeners === undefined) return [listener];
  listeners.push(listener);
  return listeners;
}
const LAST_CHUNK = '0\r\n\r\n';

function checkedReason(reason: string): string {
  if (reason.indexOf('\r') !== -1 || reason.indexOf('\n') !== -1) throw new TypeError('invalid status message');
  return reason;
}

function headersSentError(what: string): Error {
  return Object.assign(new Error(`cannot ${what} after the head was sent`), { code: 'ERR_HTTP_HEADERS_SENT' });
}
