import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redactedUrl } from './redis-connection.js';

/** What a part says when its Redis goes out of reach and when it comes back. */
export interface SharedStateMessages {
  lost: string;
  back: string;
}

/**
 * Whether a part's state in Redis is shared right now, logged once per change rather than at each
 * failed reconnect (ioredis reports every one); the first news is only worth a line when it is bad.
 * Rate limits, the login throttle and the fallback cache each keep one.
 *
 * @example
 * ```ts
 * const sharing = new SharedStateLog(url, logger, { lost: 'rate limits: Redis is out of reach', back: 'rate limits: Redis is back' });
 * sharing.follow(client);
 * sharing.report(false, error); // after a command failed
 * ```
 */
export class SharedStateLog {
  readonly #where: string;
  #shared: boolean | undefined;

  constructor(
    url: string,
    private readonly logger: Logger | undefined,
    private readonly messages: SharedStateMessages,
  ) {
    this.#where = redactedUrl(url);
  }

  /** True or false once known; undefined before the first news. */
  get shared(): boolean | undefined {
    return this.#shared;
  }

  /** Reports the connection's own news: ready, closed, and each error (which must be listened to). */
  follow(client: Redis): void {
    client.on('ready', () => this.report(true));
    client.on('close', () => this.report(false));
    client.on('error', (error: Error) => this.report(false, error));
  }

  report(shared: boolean, error?: unknown): void {
    if (this.#shared === shared) return;
    const first = this.#shared === undefined;
    this.#shared = shared;
    if (shared && !first) this.logger?.info({ redis: this.#where }, this.messages.back);
    else if (!shared) this.logger?.warn({ redis: this.#where, err: error }, this.messages.lost);
  }
}
