import {
  type ConnectionOwner,
  type ResponseHandler,
  type SocketOpener,
  type UpstreamCall,
  UpstreamConnection,
  type UpstreamRequest,
} from './upstream-connection.js';
import { UpstreamError } from './upstream-errors.js';

/** Settings of a {@link ConnectionPool}. */
export interface ConnectionPoolOptions {
  /** Most connections open at once; requests beyond wait in order. */
  connections: number;
  connectTimeoutMs: number;
  /** Opens a connection's socket; default plain TCP (`net.connect`). A TLS origin passes `tls.connect`. */
  connect?: SocketOpener;
}

/** How often idle connections are checked for their keep-alive limit. */
const SWEEP_MS = 1_000;

/**
 * The gateway's keep-alive connections to one upstream instance: the most recently used idle
 * connection serves the next request (so a few stay warm and the rest time out), a new one is
 * opened while fewer than `connections` are, and beyond that requests wait in order. An idle
 * connection is closed before the upstream's own keep-alive timeout would close it under a
 * request (the `Keep-Alive: timeout` hint less a second, else 4 s).
 *
 * It replaces undici's pool on the hot path (measured: bench/PROFILE.md): one parser pass over
 * the bytes, no dispatcher layers, one object per connection and none per request.
 *
 * @example
 * ```ts
 * const pool = new ConnectionPool('127.0.0.1', 3000, { connections: 128, connectTimeoutMs: 1_000 });
 * const call = pool.dispatch({ method: 'GET', path: '/x', headers: {}, body: null, bodyTimeoutMs: 30_000 }, handler);
 * await pool.close();
 * ```
 */
export class ConnectionPool implements ConnectionOwner {
  readonly address: string;
  readonly #idle: UpstreamConnection[] = [];
  readonly #queue: QueuedCall[] = [];
  #open = 0;
  #closed = false;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: ConnectionPoolOptions,
  ) {
    this.address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** Sends `request` on an idle connection, a new one, or when one frees up. */
  dispatch(request: UpstreamRequest, handler: ResponseHandler): UpstreamCall {
    if (this.#closed) {
      queueMicrotask(() => handler.onResponseError(poolClosed()));
      return NOTHING_TO_CONTROL;
    }
    const connection = this.#takeIdle() ?? (this.#open < this.options.connections ? this.#connect() : undefined);
    if (connection !== undefined) {
      connection.send(request, handler);
      return connection;
    }
    const queued = new QueuedCall(this, request, handler);
    this.#queue.push(queued);
    return queued;
  }

  /** Open connections (idle or busy); for tests and the admin view. */
  get openConnections(): number {
    return this.#open;
  }

  release(connection: UpstreamConnection): void {
    if (this.#closed) {
      connection.destroy();
      return;
    }
    const next = this.#queue.shift();
    if (next !== undefined) {
      next.start(connection);
      return;
    }
    connection.idleSince = Date.now();
    this.#idle.push(connection);
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(this.#sweep, SWEEP_MS);
      this.#sweeper.unref();
    }
  }

  forget(connection: UpstreamConnection): void {
    this.#open--;
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
    // A slot freed: the next waiting request gets a new connection.
    if (this.#queue.length > 0 && !this.#closed) (this.#queue.shift() as QueuedCall).start(this.#connect());
  }

  /** Withdraws a waiting request. */
  cancel(queued: QueuedCall): void {
    const at = this.#queue.indexOf(queued);
    if (at !== -1) this.#queue.splice(at, 1);
  }

  /** Closes idle connections now and busy ones as they finish; waiting requests fail. */
  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const connection of this.#idle.splice(0)) connection.destroy();
    for (const queued of this.#queue.splice(0)) queued.fail(poolClosed());
    return Promise.resolve();
  }

  #connect(): UpstreamConnection {
    this.#open++;
    return new UpstreamConnection(this, this.port, this.options.connectTimeoutMs, this.options.connect);
  }

  /** The most recently used idle connection still within its keep-alive. */
  #takeIdle(): UpstreamConnection | undefined {
    const now = Date.now();
    for (let connection = this.#idle.pop(); connection !== undefined; connection = this.#idle.pop()) {
      if (now - connection.idleSince < connection.keepAliveMs && !connection.socket.destroyed) return connection;
      connection.destroy();
    }
    return undefined;
  }

  readonly #sweep = (): void => {
    const now = Date.now();
    // Oldest first: the stack's bottom has been idle longest.
    while (this.#idle.length > 0) {
      const oldest = this.#idle[0] as UpstreamConnection;
      if (now - oldest.idleSince < oldest.keepAliveMs) break;
      this.#idle.shift();
      oldest.destroy();
    }
    if (this.#idle.length === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  };
}

/** A request waiting for a connection; it forwards to the connection once it has one. */
class QueuedCall implements UpstreamCall {
  #connection: UpstreamConnection | undefined;
  #done = false;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly request: UpstreamRequest,
    private readonly handler: ResponseHandler,
  ) {}

  start(connection: UpstreamConnection): void {
    this.#connection = connection;
    connection.send(this.request, this.handler);
  }

  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.handler.onResponseError(error);
  }

  abort(reason: Error): void {
    if (this.#connection !== undefined) {
      this.#connection.abort(reason);
      return;
    }
    this.pool.cancel(this);
    this.fail(reason);
  }

  pause(): void {
    this.#connection?.pause();
  }

  resume(): void {
    this.#connection?.resume();
  }
}

const NOTHING_TO_CONTROL: UpstreamCall = { abort() {}, pause() {}, resume() {} };

function poolClosed(): UpstreamError {
  return new UpstreamError('PORTICO_POOL_CLOSED', 'the instance left before the request was sent');
}
