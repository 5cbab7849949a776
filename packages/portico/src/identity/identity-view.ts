import { PorticoError } from '@portico/sdk';
import { AccessTokenVerifier } from './access-tokens.js';
import { ApiKeyCache } from './api-key-cache.js';
import type { IdentityWatchEvent } from './identity-port.js';
import { ExpiringKeySet } from './key-set.js';
import type { Principal, Tenant } from './model.js';
import { RevocationSet } from './revocations.js';
import { SecretHasher } from './secrets.js';

/**
 * A gateway's in-memory copy of identity, fed by an `IdentityPort` watch: verifies access tokens
 * and API keys and looks up tenants without any I/O. Until the first snapshot arrives it refuses
 * every credential (`ready` is false); after a disconnect it keeps the last known state.
 *
 * @example
 * ```ts
 * const view = new IdentityView();
 * port.watch((event) => view.apply(event));
 * const principal = await view.verifyAccessToken(bearer); // throws AUTHENTICATION_ERROR
 * const keyPrincipal = view.verifyApiKey(request.headers['x-api-key']);
 * ```
 */
export class IdentityView {
  readonly #keys = new ExpiringKeySet();
  readonly #resync: (() => void) | undefined;
  readonly #resyncIntervalMs: number;
  #lastResync = Number.NEGATIVE_INFINITY;
  /** Verifications waiting for the snapshot a resync asked for. */
  #waiting: ((arrived: boolean) => void)[] = [];
  #pendingResync: Promise<boolean> | undefined;
  #verifier: AccessTokenVerifier | undefined;
  #apiKeys: ApiKeyCache | undefined;
  readonly #revocations = new RevocationSet();
  readonly #tenants = new Map<string, Tenant>();

  /**
   * `resync` asks the port for a fresh snapshot; the view calls it when a token names a key it
   * does not know (a change may have been missed), at most once per `resyncIntervalMs` (default
   * 5 s) so that forged `kid`s cannot turn into a flood, and waits up to 1 s for the snapshot.
   */
  constructor(options: { resync?: () => void; resyncIntervalMs?: number } = {}) {
    this.#resync = options.resync;
    this.#resyncIntervalMs = options.resyncIntervalMs ?? 5_000;
  }

  get ready(): boolean {
    return this.#verifier !== undefined;
  }

  apply(event: IdentityWatchEvent): void {
    if (event.kind === 'snapshot') {
      const { snapshot } = event;
      this.#keys.set(snapshot.jwks, snapshot.keyExpiries);
      this.#apiKeys = new ApiKeyCache(new SecretHasher(Buffer.from(snapshot.secretHashKey, 'base64')));
      this.#apiKeys.load(snapshot.apiKeys);
      this.#tenants.clear();
      for (const tenant of snapshot.tenants) this.#tenants.set(tenant.name, tenant);
      this.#revocations.clear();
      for (const revocation of snapshot.revocations) this.#revocations.apply(revocation);
      this.#verifier = new AccessTokenVerifier({
        keys: () => this.#keys.current(),
        issuer: snapshot.issuer,
        audience: snapshot.audience,
        algorithms: [snapshot.algorithm],
        isRevoked: this.#revocations.isRevoked,
        onUnknownKey: this.#onUnknownKey,
      });
      for (const resolve of this.#waiting.splice(0)) resolve(true);
      return;
    }
    const { change } = event;
    if (change.type === 'keys') this.#keys.set(change.jwks, change.expiries);
    else if (change.type === 'tenant') this.#tenants.set(change.tenant.name, change.tenant);
    else if (change.type === 'revocation') this.#revocations.apply(change.revocation);
    else this.#apiKeys?.apply(change);
  }

  readonly #onUnknownKey = (): Promise<boolean> => {
    if (this.#resync === undefined) return Promise.resolve(false);
    if (this.#pendingResync) return this.#pendingResync;
    const now = Date.now();
    if (now - this.#lastResync < this.#resyncIntervalMs) return Promise.resolve(false);
    this.#lastResync = now;
    const pending = new Promise<boolean>((resolve) => {
      this.#waiting.push(resolve);
      setTimeout(() => resolve(false), 1_000).unref();
    }).finally(() => {
      this.#pendingResync = undefined;
    });
    this.#pendingResync = pending;
    this.#resync();
    return pending;
  };

  async verifyAccessToken(token: string): Promise<Principal> {
    if (!this.#verifier) {
      throw new PorticoError('AUTHENTICATION_ERROR', 'the access token is invalid or expired');
    }
    return this.#verifier.verify(token);
  }

  /**
   * The principal of an access token this view already verified, without waiting; `undefined`
   * when it must go through `verifyAccessToken`. Throws `AUTHENTICATION_ERROR` like it.
   */
  verifyKnownAccessToken(token: string): Principal | undefined {
    return this.#verifier?.verifyKnown(token);
  }

  verifyApiKey(presented: string | undefined): Principal | undefined {
    return this.#apiKeys?.verify(presented);
  }

  tenant(name: string): Tenant | undefined {
    return this.#tenants.get(name);
  }

  /** API keys used since the last call, for `IdentityPort.reportApiKeyUses`. */
  takeApiKeyUses(): string[] {
    return this.#apiKeys?.takeUses() ?? [];
  }
}
