import type { Logger } from 'pino';
import type { AssertionKeyPort } from '../../registry/registry-port.js';
import type { AssertionJwk } from './assertion-signer.js';

/** Settings of a {@link KeyPublisher}. */
export interface KeyPublisherOptions {
  logger: Logger;
  /** Lease of the published key; longer than an assertion lives. Default 90 s. */
  ttlSeconds?: number;
  /** How often the lease is renewed; default 10 s. */
  renewMs?: number;
}

/**
 * Keeps a gateway's public key in the registry, where services fetch it: published at start and
 * again every few seconds, which renews its lease (a dead gateway's key expires) and puts it back
 * into a registry that restarted and forgot it, as instances re-register after a heartbeat fails.
 *
 * @example
 * ```ts
 * const publisher = new KeyPublisher(registry, signer.publicJwk, { logger });
 * await publisher.start();
 * // at shutdown
 * publisher.stop();
 * ```
 */
export class KeyPublisher {
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  readonly #ttlSeconds: number;
  readonly #renewMs: number;

  constructor(
    private readonly registry: AssertionKeyPort,
    private readonly jwk: AssertionJwk,
    private readonly options: KeyPublisherOptions,
  ) {
    this.#ttlSeconds = options.ttlSeconds ?? 90;
    this.#renewMs = options.renewMs ?? 10_000;
  }

  /** Publishes once (resolves either way: a failure is logged and retried), then keeps renewing. */
  async start(): Promise<void> {
    await this.publish();
    this.#timer = setInterval(() => void this.publish(), this.#renewMs);
    this.#timer.unref();
  }

  /** Publishes (or renews) now. */
  async publish(): Promise<void> {
    try {
      await this.registry.publishAssertionKey(this.jwk, this.#ttlSeconds);
      if (this.#failing) this.options.logger.info({ kid: this.jwk.kid }, 'assertion key published again');
      this.#failing = false;
    } catch (error) {
      // Once per outage: services keep verifying with the key they already hold.
      if (!this.#failing) {
        this.options.logger.warn({ err: error, kid: this.jwk.kid }, 'assertion key not published; retrying');
      }
      this.#failing = true;
    }
  }

  /** Stops renewing; the key stays published until its lease ends, as assertions already sent do. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
