import type { Instance } from '@portico/sdk';
import type { RoutedInstance } from './routed-instance.js';
import { ConnectionPool } from './upstream-client/connection-pool.js';

/** Connection settings of one upstream's pool. */
export interface PoolSettings {
  connectTimeoutMs: number;
  connectionsPerUpstream: number;
}

/**
 * One live instance as the gateway sees it: where to send, a keep-alive connection pool, how
 * many requests are on their way to it (for least-outstanding balancing), and its standing:
 * ejected by outlier detection, or failing its active health check.
 */
export class Upstream {
  private connections: ConnectionPool | undefined;
  /** Prepended to the forwarded path; empty for a root base path, so no double slash appears. */
  readonly pathPrefix: string;
  outstanding = 0;
  /** Tries sent to it, for the admin view and for tests that check who got what. */
  tries = 0;
  /** Failed tries in a row (connect errors, timeouts, 5xx). */
  consecutiveFailures = 0;
  /** Ejections in a row without a success between them: each doubles the next. */
  ejections = 0;
  /** Out of rotation until this time (ms since epoch); 0 when not ejected. */
  ejectedUntil = 0;
  /** What the active health check says; true when the service declared none. */
  healthy = true;

  constructor(
    public instance: RoutedInstance,
    private readonly settings: PoolSettings,
  ) {
    this.pathPrefix = instance.basePath === '/' ? '' : instance.basePath;
  }

  /**
   * The keep-alive pool, made on the first request: a gateway that knows 10,000 instances but
   * talks to a few holds pools (and sockets) only for those few.
   */
  get pool(): ConnectionPool {
    this.connections ??= new ConnectionPool(this.instance.host.replace(/^\[(.*)\]$/, '$1'), this.instance.port, {
      connections: this.settings.connectionsPerUpstream,
      connectTimeoutMs: this.settings.connectTimeoutMs,
    });
    return this.connections;
  }

  /**
   * `host:port`, made when asked (the admin view, a traced try) rather than held: a string of
   * its own per instance, for 10,000 instances, that the request path never reads.
   */
  get address(): string {
    return addressOf(this.instance);
  }

  /** Takes new requests: weight above 0, not ejected, not failing its health check. */
  get inRotation(): boolean {
    return this.instance.weight !== 0 && this.ejectedUntil === 0 && this.healthy;
  }

  /** Lets in-flight requests finish, then closes the connections. */
  close(): Promise<void> {
    return this.connections ? this.connections.close() : Promise.resolve();
  }
}

/** `host:port`, with IPv6 literals bracketed. */
export function addressOf(instance: Pick<Instance, 'host' | 'port'>): string {
  const host = instance.host.includes(':') && !instance.host.startsWith('[') ? `[${instance.host}]` : instance.host;
  return `${host}:${instance.port}`;
}
