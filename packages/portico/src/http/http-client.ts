import type { IncomingHttpHeaders } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { ConnectionPool } from '../gateway/upstream-client/connection-pool.js';
import type { ResponseHandler, UpstreamCall } from '../gateway/upstream-client/upstream-connection.js';

/** Settings of an {@link HttpClient}. */
export interface HttpClientOptions {
  /** Most connections open at once; requests beyond wait in order. */
  connections: number;
  /** Time to open a connection; default 10 s. */
  connectTimeoutMs?: number;
  /** Extra TLS settings for an `https://` origin (a private `ca`, say). */
  tls?: ConnectionOptions;
}

/** One request: what both {@link HttpClient.request} and {@link HttpClient.stream} send. */
export interface HttpRequest {
  method: string;
  /** Path and query on the client's origin. */
  path: string;
  /** Header names in lower case; `host`, `content-length` and framing are the client's. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Gives the request up; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A whole answer, body read into memory. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A streamed request: the body goes to `onData` as it arrives. */
export interface HttpStreamRequest extends HttpRequest {
  /**
   * The longest silence allowed, waiting for the head and then between pieces of the body. A
   * stream kept open by periodic keep-alive comments sets it to a few of their intervals.
   */
  idleTimeoutMs: number;
  /** The head arrived; throwing refuses the answer (the stream rejects with that error). */
  onResponse?: (status: number, headers: IncomingHttpHeaders) => void;
  /** A piece of the body; throwing ends the stream with that error. */
  onData: (chunk: Buffer) => void;
}

/** Why a request of an {@link HttpClient} gave up by itself. */
export class HttpClientError extends Error {
  override readonly name = 'HttpClientError';

  constructor(
    readonly code: 'PORTICO_HTTP_TIMEOUT' | 'PORTICO_HTTP_CLOSED',
    message: string,
  ) {
    super(message);
  }
}

/** Time to open a connection when the caller does not say (undici's default, which this replaced). */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A small HTTP/1.1 client for the platform's own calls between processes (a gateway to the
 * registry and to identity), built on the gateway's {@link ConnectionPool}: one origin, keep-alive
 * connections, JSON calls read whole and Server-Sent Events streamed. It exists so a gateway-only
 * process loads no general-purpose client (undici costs it ~18 MiB RSS).
 *
 * @example
 * ```ts
 * const client = new HttpClient('http://registry:9080', { connections: 8 });
 * const { status, body } = await client.request({ method: 'GET', path: '/v1/registry/services', timeoutMs: 5_000 });
 * await client.stream({ method: 'GET', path: '/v1/registry/watch', idleTimeoutMs: 45_000, onData: (chunk) => read(chunk) });
 * await client.destroy();
 * ```
 */
export class HttpClient {
  readonly #pool: ConnectionPool;
  readonly #exchanges = new Set<Exchange>();
  #destroyed = false;

  /** `origin` is `http://host[:port]` or `https://host[:port]`, with no path. */
  constructor(
    readonly origin: string,
    options: HttpClientOptions,
  ) {
    const url = new URL(origin);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
      throw new TypeError(`${origin} is not an http(s) origin`);
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const tls = url.protocol === 'https:';
    const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
    this.#pool = new ConnectionPool(host, port, {
      connections: options.connections,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      ...(tls ? { connect: tlsConnector(options.tls) } : {}),
    });
  }

  /**
   * Sends a request and reads the whole answer, any status. `timeoutMs` bounds everything:
   * waiting for a connection, connecting, the head and the body.
   */
  request(request: HttpRequest & { timeoutMs: number }): Promise<HttpResponse> {
    const chunks: Buffer[] = [];
    let head: { status: number; headers: IncomingHttpHeaders } | undefined;
    return this.#exchange(request, request.timeoutMs, false, {
      onResponse: (status, headers) => {
        head = { status, headers };
      },
      // The pieces are views into socket reads, each its own buffer: kept as they are.
      onData: (chunk) => chunks.push(chunk),
    }).then(() => ({ ...(head as { status: number; headers: IncomingHttpHeaders }), body: Buffer.concat(chunks) }));
  }

  /** Sends a request and hands its body on as it arrives; settles when the answer ends or fails. */
  stream(request: HttpStreamRequest): Promise<void> {
    return this.#exchange(request, request.idleTimeoutMs, true, request);
  }

  /** Fails the requests under way, and closes the connections. */
  async destroy(): Promise<void> {
    this.#destroyed = true;
    for (const exchange of this.#exchanges)
      exchange.fail(new HttpClientError('PORTICO_HTTP_CLOSED', 'the client closed'));
    await this.#pool.close();
  }

  #exchange(
    request: HttpRequest,
    timeoutMs: number,
    idle: boolean,
    listener: Pick<HttpStreamRequest, 'onResponse' | 'onData'>,
  ): Promise<void> {
    if (this.#destroyed) return Promise.reject(new HttpClientError('PORTICO_HTTP_CLOSED', 'the client closed'));
    const { signal } = request;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const exchange = new Exchange(this.#exchanges, listener, timeoutMs, idle, signal, resolve, reject);
      this.#exchanges.add(exchange);
      const headers: Record<string, string> = { ...request.headers };
      let body: Buffer | null = null;
      if (request.body !== undefined) {
        body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
        // Without it the pool would send the body chunked.
        headers['content-length'] = String(body.length);
      } else if (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH') {
        headers['content-length'] = '0';
      }
      const call = this.#pool.dispatch(
        {
          method: request.method,
          path: request.path,
          headers,
          // The pool streams a body once connected; one buffer is one piece.
          body: body === null || body.length === 0 ? null : Readable.from([body]),
          bodyTimeoutMs: timeoutMs,
        },
        exchange,
      );
      exchange.started(call);
    });
  }
}

/** One request under way: the pool's {@link ResponseHandler}, its timer and its abort signal. */
class Exchange implements ResponseHandler {
  #call: UpstreamCall | undefined;
  #settled = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly registry: Set<Exchange>,
    private readonly listener: Pick<HttpStreamRequest, 'onResponse' | 'onData'>,
    private readonly timeoutMs: number,
    private readonly idle: boolean,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.#timer = setTimeout(this.#onTimeout, timeoutMs);
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  started(call: UpstreamCall): void {
    this.#call = call;
  }

  fail(error: unknown): void {
    if (this.#settled) return;
    this.#call?.abort(error instanceof Error ? error : new Error(String(error)));
    this.#settle(error);
  }

  onResponseStart(status: number, headers: IncomingHttpHeaders): boolean {
    if (this.#settled) return false;
    if (this.idle) this.#timer.refresh();
    try {
      this.listener.onResponse?.(status, headers);
    } catch (error) {
      this.#settle(error);
      return false;
    }
    return true;
  }

  onResponseData(chunk: Buffer): void {
    if (this.#settled) return;
    if (this.idle) this.#timer.refresh();
    try {
      this.listener.onData(chunk);
    } catch (error) {
      this.fail(error);
    }
  }

  onResponseEnd(last: Buffer | undefined): void {
    // The connection is back in its pool, perhaps already carrying another request: never abort it now.
    this.#call = undefined;
    if (last !== undefined) this.onResponseData(last);
    this.#settle(undefined);
  }

  onResponseError(error: Error): void {
    this.#settle(error);
  }

  readonly #onTimeout = (): void => {
    const what = this.idle ? `no answer for ${this.timeoutMs} ms` : `no complete answer within ${this.timeoutMs} ms`;
    this.fail(new HttpClientError('PORTICO_HTTP_TIMEOUT', what));
  };

  readonly #onAbort = (): void => {
    this.fail(this.signal?.reason);
  };

  #settle(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.signal?.removeEventListener('abort', this.#onAbort);
    this.registry.delete(this);
    if (error === undefined) this.resolve();
    else this.reject(error);
  }
}

/** Opens TLS connections for an `https://` origin, verifying the certificate against the host. */
function tlsConnector(extra: ConnectionOptions | undefined): (host: string, port: number) => Socket {
  // Loaded only for an https origin: a plain-HTTP deployment never pays for it.
  const tls = process.getBuiltinModule('node:tls');
  return (host, port) => {
    const socket = tls.connect({
      ALPNProtocols: ['http/1.1'],
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...extra,
      host,
      port,
    });
    socket.setNoDelay(true);
    return socket;
  };
}
