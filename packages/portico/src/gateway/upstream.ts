import type { Instance } from '@portico/sdk';
import { Pool } from 'undici';

/** Connection settings shared by every upstream pool. */
export interface PoolSettings {
  connectTimeoutMs: number;
  connectionsPerUpstream: number;
}

/**
 * One live instance as the gateway sees it: where to send, a keep-alive connection pool, and
 * how many requests are on their way to it (for least-outstanding balancing).
 */
export class Upstream {
  readonly pool: Pool;
  /** Prepended to the forwarded path; empty for a root base path, so no double slash appears. */
  readonly pathPrefix: string;
  readonly address: string;
  outstanding = 0;

  constructor(
    public instance: Instance,
    settings: PoolSettings,
  ) {
    this.address = addressOf(instance);
    this.pathPrefix = instance.basePath === '/' ? '' : instance.basePath;
    this.pool = new Pool(`http://${this.address}`, {
      connections: settings.connectionsPerUpstream,
      connect: { timeout: settings.connectTimeoutMs },
      pipelining: 1,
    });
  }

  /** Lets in-flight requests finish, then closes the connections. */
  close(): Promise<void> {
    return this.pool.close().catch(() => undefined);
  }
}

/** `host:port`, with IPv6 literals bracketed. */
export function addressOf(instance: Pick<Instance, 'host' | 'port'>): string {
  const host = instance.host.includes(':') && !instance.host.startsWith('[') ? `[${instance.host}]` : instance.host;
  return `${host}:${instance.port}`;
}
