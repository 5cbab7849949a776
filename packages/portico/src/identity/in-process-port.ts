import type { Identity } from './identity.js';
import type { IdentityPort, IdentitySnapshot, IdentityWatch, IdentityWatchEvent } from './identity-port.js';

/**
 * The all-in-one adapter of `IdentityPort`: the snapshot comes straight from the identity core's
 * memory and store, and changes are forwarded from its event feed as they are emitted.
 *
 * @example
 * ```ts
 * const port = new InProcessIdentityPort(identity);
 * const watch = port.watch((event) => view.apply(event));
 * ```
 */
export class InProcessIdentityPort implements IdentityPort {
  readonly #identity: Identity;

  constructor(identity: Identity) {
    this.#identity = identity;
  }

  watch(listener: (event: IdentityWatchEvent) => void): IdentityWatch {
    // Changes that happen while the snapshot is read are queued and delivered after it.
    let queue: IdentityWatchEvent[] | undefined = [];
    let closed = false;
    const unsubscribe = this.#identity.events.subscribe((change) => {
      if (closed) return;
      if (queue) queue.push({ kind: 'change', change });
      else listener({ kind: 'change', change });
    });
    void this.snapshot().then((snapshot) => {
      if (closed) return;
      listener({ kind: 'snapshot', snapshot });
      const pending = queue ?? [];
      queue = undefined;
      for (const event of pending) listener(event);
    });
    return {
      close() {
        closed = true;
        unsubscribe();
      },
    };
  }

  async reportApiKeyUses(ids: readonly string[]): Promise<void> {
    await this.#identity.apiKeys.touch(ids, new Date());
  }

  /** Everything a gateway needs, as of now. */
  async snapshot(): Promise<IdentitySnapshot> {
    const { options } = this.#identity;
    return {
      jwks: this.#identity.keyRing.jwks(),
      keyExpiries: this.#identity.keyRing.expiries(),
      apiKeys: this.#identity.apiKeyCache.records(),
      revocations: this.#identity.revocations.all(),
      tenants: await this.#identity.tenants.list(),
      secretHashKey: this.#identity.secrets.key.toString('base64'),
      issuer: options.issuer,
      audience: options.audience,
      algorithm: options.algorithm,
    };
  }
}
