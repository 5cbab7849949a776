import type { SecretBox } from '../store/secrets/secret-box.js';
import type { Store } from '../store/store.js';
import { AccessTokenVerifier, TokenIssuer } from './access-tokens.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeys } from './api-keys.js';
import { AuditLog } from './audit-log.js';
import { bootstrapPlatform, secretHashKey } from './bootstrap.js';
import { IdentityEvents } from './identity-events.js';
import type { LoginThrottlePort } from './login-throttle/login-throttle-port.js';
import { MemoryLoginThrottle } from './login-throttle/memory-login-throttle.js';
import type { IdentityOptions } from './options.js';
import { PasswordHasher } from './passwords.js';
import { RefreshTokens } from './refresh-tokens.js';
import { RevocationList } from './revocations.js';
import { Roles } from './roles.js';
import { SecretHasher } from './secrets.js';
import { ServiceClients } from './service-clients.js';
import { KeyRing } from './signing-keys.js';
import { Tenants } from './tenants.js';
import { Users } from './users.js';

/** How often API-key "last used" times are written, and stale rows pruned. */
const FLUSH_INTERVAL_MS = 5_000;
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * The identity core of one process: its repositories over the store, the key ring, the token
 * issuer and verifier, the in-memory API-key copy and revocation list, and the change feed
 * that keeps in-process copies current. Routes and the gateway port are built on it.
 *
 * @example
 * ```ts
 * const { box } = await openSecretBox(store, keySettings);
 * const { identity, generatedAdminPassword } = await Identity.open(store, options, box);
 * const principal = await identity.verifier.verify(token);
 * await identity.close();
 * ```
 */
export class Identity {
  readonly events = new IdentityEvents();
  readonly tenants: Tenants;
  readonly users: Users;
  readonly roles: Roles;
  readonly audit: AuditLog;
  readonly passwords: PasswordHasher;
  readonly secrets: SecretHasher;
  readonly refreshTokens: RefreshTokens;
  readonly apiKeys: ApiKeys;
  readonly clients: ServiceClients;
  readonly keyRing: KeyRing;
  readonly revocations: RevocationList;
  readonly issuer: TokenIssuer;
  readonly verifier: AccessTokenVerifier;
  readonly apiKeyCache: ApiKeyCache;
  readonly throttle: LoginThrottlePort;
  readonly #timers: NodeJS.Timeout[] = [];

  private constructor(
    readonly store: Store,
    readonly options: IdentityOptions,
    box: SecretBox,
    secretKey: Buffer,
    throttle: LoginThrottlePort | undefined,
  ) {
    const { db } = store;
    this.tenants = new Tenants(db);
    this.users = new Users(db);
    this.roles = new Roles(db);
    this.audit = new AuditLog(db);
    this.passwords = new PasswordHasher(options.argon2);
    this.secrets = new SecretHasher(secretKey);
    this.refreshTokens = new RefreshTokens(db, this.secrets, {
      idleSeconds: options.refreshIdleSeconds,
      absoluteSeconds: options.refreshAbsoluteSeconds,
    });
    this.apiKeys = new ApiKeys(db, this.secrets);
    this.clients = new ServiceClients(db, this.secrets);
    this.keyRing = new KeyRing(db, box, { algorithm: options.algorithm, graceSeconds: options.keyGraceSeconds });
    this.revocations = new RevocationList(db);
    this.issuer = new TokenIssuer(() => this.keyRing.active(), {
      issuer: options.issuer,
      audience: options.audience,
      ttlSeconds: options.accessTokenTtlSeconds,
    });
    this.verifier = new AccessTokenVerifier({
      keys: () => this.keyRing.jwks(),
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [options.algorithm],
      isRevoked: this.revocations.isRevoked,
    });
    this.apiKeyCache = new ApiKeyCache(this.secrets);
    this.throttle = throttle ?? new MemoryLoginThrottle(options.throttle);
    this.events.subscribe((change) => this.apiKeyCache.apply(change));
  }

  /**
   * Opens identity on a migrated store whose secret box is open (`openSecretBox`); the first
   * start also creates the platform admin.
   */
  static async open(
    store: Store,
    options: IdentityOptions,
    box: SecretBox,
    /** Where failed logins are counted (`createLoginThrottle`); owned by identity. Absent: this process's memory. */
    throttle?: LoginThrottlePort,
  ): Promise<{ identity: Identity; generatedAdminPassword?: string }> {
    const identity = new Identity(store, options, box, await secretHashKey(store.db, box, options.secretKey), throttle);
    await identity.keyRing.load();
    await identity.revocations.load();
    identity.apiKeyCache.load(await identity.apiKeys.usable());
    const { generatedPassword } = await bootstrapPlatform({
      db: store.db,
      users: identity.users,
      passwords: identity.passwords,
      audit: identity.audit,
      adminPassword: options.adminPassword,
    });
    identity.#timers.push(
      setInterval(() => void identity.flushApiKeyUses().catch(() => {}), FLUSH_INTERVAL_MS).unref(),
      setInterval(() => void identity.refreshTokens.prune().catch(() => {}), PRUNE_INTERVAL_MS).unref(),
    );
    return generatedPassword ? { identity, generatedAdminPassword: generatedPassword } : { identity };
  }

  /** Rotates the signing key and tells every in-process copy of the JWKS. */
  async rotateKeys(): Promise<{ kid: string; retired: string[] }> {
    const rotated = await this.keyRing.rotate();
    this.events.emit({ type: 'keys', jwks: this.keyRing.jwks(), expiries: this.keyRing.expiries() });
    return rotated;
  }

  /** Refuses a user's access tokens issued until now (disable, delete, password change). */
  async revokeUserTokens(userId: string): Promise<void> {
    const now = Date.now() / 1000;
    const revocation = {
      kind: 'user' as const,
      id: userId,
      notBefore: Math.ceil(now),
      until: Math.ceil(now) + this.options.accessTokenTtlSeconds + 60,
    };
    await this.revocations.revoke(revocation);
    this.events.emit({ type: 'revocation', revocation });
  }

  /** Refuses every access token of a session (logout, reuse detected). */
  async revokeSessionTokens(familyId: string): Promise<void> {
    const now = Math.ceil(Date.now() / 1000);
    const revocation = {
      kind: 'session' as const,
      id: familyId,
      notBefore: now,
      until: now + this.options.accessTokenTtlSeconds + 60,
    };
    await this.revocations.revoke(revocation);
    this.events.emit({ type: 'revocation', revocation });
  }

  /** Writes the "last used" time of the API keys used since the previous flush. */
  async flushApiKeyUses(): Promise<void> {
    await this.apiKeys.touch(this.apiKeyCache.takeUses(), new Date());
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.throttle.close();
    await this.flushApiKeyUses().catch(() => {});
  }
}
