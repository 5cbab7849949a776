import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { type ConnectionHost, Http1Connection } from './http1-connection.js';
import type { Http1Request, Http1Response } from './http1-response.js';

/** What the gateway gives its own HTTP/1.1 server. */
export interface Http1ServerOptions {
  maxHeaderBytes: number;
  keepAliveTimeoutSeconds: number;
  /** A head must be complete this long after its first byte. */
  headersTimeoutMs: number;
  /** Serves a request; false hands the connection over to `fallback` from this request on. */
  serve(req: Http1Request, res: Http1Response): boolean;
  /** Told when each answer is complete, or abandoned because the caller left. */
  closed(res: Http1Response): void;
  /** The node:http server that takes connections handed over (never listening itself). */
  fallback: HttpServer;
}

/**
 * The gateway's public port: a `net` server whose connections are read by the gateway's own
 * HTTP/1.1 code ({@link Http1Connection}) for the requests of the hot path (no body, no upgrade),
 * and handed to a node:http server for everything else. node:http's per-request streams, its
 * header validation and its event plumbing cost about as much CPU as the whole forward; this
 * server does without them where the gateway needs none of it.
 *
 * @example
 * ```ts
 * const http1 = new Http1Server({ maxHeaderBytes: 16384, keepAliveTimeoutSeconds: 30,
 *   headersTimeoutMs: 60_000, serve, closed, fallback: createServer(handler) });
 * http1.server.listen(8080);
 * ```
 */
export class Http1Server implements ConnectionHost {
  readonly server: Server;
  readonly maxHeaderBytes: number;
  readonly keepAliveTimeoutSeconds: number;
  readonly headersTimeoutMs: number;
  closing = false;
  readonly #connections = new Set<Http1Connection>();
  readonly #options: Http1ServerOptions;

  constructor(options: Http1ServerOptions) {
    this.#options = options;
    this.maxHeaderBytes = options.maxHeaderBytes;
    this.keepAliveTimeoutSeconds = options.keepAliveTimeoutSeconds;
    this.headersTimeoutMs = options.headersTimeoutMs;
    // Half-open, as node:http's is, so a connection handed over behaves as it would there.
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.#connections.add(new Http1Connection(socket, this));
    });
    // node:http tracks its connections (idle ones, slow heads) only once it sees 'listening';
    // it never listens itself here, so it is told when this server does.
    this.server.on('listening', () => options.fallback.emit('listening'));
  }

  serve(req: Http1Request, res: Http1Response): boolean {
    return this.#options.serve(req, res);
  }

  closed(res: Http1Response): void {
    this.#options.closed(res);
  }

  handOver(socket: Socket): void {
    this.#options.fallback.emit('connection', socket);
  }

  forget(connection: Http1Connection): void {
    this.#connections.delete(connection);
  }

  /** Stops accepting; idle connections close now, busy ones after their answer (which says `connection: close`). */
  close(): void {
    this.closing = true;
    this.server.close();
    for (const connection of this.#connections) connection.closeIfIdle();
    const fallback = this.#options.fallback;
    fallback.close();
    fallback.closeIdleConnections();
  }

  /** Ends every connection, busy or not. */
  closeAll(): void {
    for (const connection of this.#connections) connection.socket.destroy();
    this.#options.fallback.closeAllConnections();
  }
}
