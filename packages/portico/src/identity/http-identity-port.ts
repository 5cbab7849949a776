import type { Logger } from 'pino';
import { HttpClient } from '../http/http-client.js';
import { SseSubscription } from '../http/sse-subscription.js';
import type { IdentityPort, IdentityWatch, IdentityWatchEvent } from './identity-port.js';

/** Settings of identity's network adapter. */
export interface HttpIdentityPortOptions {
  logger: Logger;
  /** The platform's shared secret (`clusterSecret`); the identity process must have the same. */
  secret: string;
  /** Per-call time limit; default 5 s. */
  timeoutMs?: number;
}

/**
 * Identity seen from a gateway in another process (DESIGN principle 1, network adapter): the
 * identity process's `GET /v1/identity/watch` stream, reconnected by itself; each connection
 * starts with a whole snapshot, so nothing missed while away is lost. While disconnected the
 * gateway keeps verifying with the last snapshot (DESIGN principle 5); `connected()` tells the
 * health check.
 *
 * @example
 * ```ts
 * const port = new HttpIdentityPort('http://identity:9080', { logger, secret: config.clusterSecret });
 * port.watch((event) => view.apply(event));
 * ```
 */
export class HttpIdentityPort implements IdentityPort {
  readonly #client: HttpClient;
  readonly #streams = new Set<SseSubscription>();

  constructor(
    readonly baseUrl: string,
    private readonly options: HttpIdentityPortOptions,
  ) {
    this.#client = new HttpClient(baseUrl, { connections: 4 });
  }

  watch(listener: (event: IdentityWatchEvent) => void): IdentityWatch {
    const stream = new SseSubscription(this.#client, {
      path: '/v1/identity/watch',
      headers: () => ({ authorization: `Bearer ${this.options.secret}` }),
      onMessage: (event, _id, data) => {
        if (event === 'snapshot') listener({ kind: 'snapshot', snapshot: JSON.parse(data) });
        else if (event === 'change') listener({ kind: 'change', change: JSON.parse(data) });
      },
      logger: this.options.logger,
      label: 'identity watch',
    });
    this.#streams.add(stream);
    stream.start();
    return {
      close: () => {
        this.#streams.delete(stream);
        stream.stop();
      },
    };
  }

  /**
   * Asks for a fresh snapshot by reconnecting (a token signed by a key this gateway has not
   * heard of: a change may have been missed). `IdentityView` decides how often.
   */
  resync(): void {
    for (const stream of this.#streams) stream.reconnect();
  }

  /** True while every watch has a live stream. */
  connected(): boolean {
    for (const stream of this.#streams) if (!stream.connected) return false;
    return true;
  }

  async reportApiKeyUses(ids: readonly string[]): Promise<void> {
    const response = await this.#client.request({
      method: 'POST',
      path: '/v1/identity/api-key-uses',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.secret}` },
      body: JSON.stringify({ ids }),
      timeoutMs: this.options.timeoutMs ?? 5_000,
    });
    if (response.status >= 300) throw new Error(`identity answered ${response.status} to API key uses`);
  }

  async close(): Promise<void> {
    for (const stream of this.#streams) stream.stop();
    this.#streams.clear();
    await this.#client.destroy();
  }
}
