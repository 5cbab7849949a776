import { Type } from '@sinclair/typebox';
import { RedisUrl } from './rate-limit-schema.js';

/** Where failed-login counters live; `identity/login-throttle` resolves the name. */
export const LOGIN_THROTTLE_STORE_NAMES = ['memory', 'redis'] as const;

const Seconds = (fallback: number, minimum = 1, maximum = 31_536_000) =>
  Type.Integer({ minimum, maximum, default: fallback });

/** `store`: where durable data lives. */
export const StoreSchema = Type.Object(
  {
    /** Empty: embedded PGlite under `dataDir/store`. `postgres://…`: PostgreSQL. `memory:`: throwaway PGlite. */
    url: Type.String({ default: '', maxLength: 2048 }),
    /** Connections in the PostgreSQL pool (PGlite has one). */
    poolSize: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
    /**
     * Key-encryption keys of the secrets in the store: `<id>:<base64 of 32 bytes>`, comma
     * separated, the first one wrapping. Checked when the store opens, not here, because a
     * schema error would print the value, and this value is a key.
     */
    encryptionKeys: Type.String({ default: '' }),
    /** A file holding the same list (a mounted secret); empty for an embedded store: `<dataDir>/store.key`. */
    encryptionKeyFile: Type.String({ default: '' }),
  },
  { additionalProperties: false, default: {} },
);

/** `identity`: tokens, passwords and login throttling. */
export const IdentitySchema = Type.Object(
  {
    /** `iss` of every access token; verifiers check it. */
    issuer: Type.String({ minLength: 1, maxLength: 512, default: 'portico' }),
    /** `aud` of every access token; verifiers check it. */
    audience: Type.String({ minLength: 1, maxLength: 512, default: 'portico' }),
    algorithm: Type.Unsafe<'EdDSA' | 'ES256'>({ type: 'string', enum: ['EdDSA', 'ES256'], default: 'EdDSA' }),
    accessTokenTtlSeconds: Seconds(900, 30, 86_400),
    refreshIdleTtlSeconds: Seconds(14 * 86_400, 60),
    refreshAbsoluteTtlSeconds: Seconds(30 * 86_400, 60),
    /** How long a rotated-out signing key keeps verifying; at least `accessTokenTtlSeconds`. */
    keyGraceSeconds: Seconds(1800, 30, 30 * 86_400),
    argon2: Type.Object(
      {
        /** OWASP's floor for argon2id is 19 MiB (19456 KiB) with 2 passes. */
        memoryKiB: Type.Integer({ minimum: 19_456, maximum: 4_194_304, default: 19_456 }),
        iterations: Type.Integer({ minimum: 2, maximum: 100, default: 2 }),
        parallelism: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    throttle: Type.Object(
      {
        maxFailuresPerIdentifier: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
        maxFailuresPerIp: Type.Integer({ minimum: 1, maximum: 100_000, default: 50 }),
        windowSeconds: Seconds(900, 1, 86_400),
        lockoutSeconds: Seconds(900, 1, 86_400),
        /** Unset: `redis` when a Redis URL is set (here or `gateway.rateLimit.redisUrl`), else `memory`. */
        store: Type.Optional(
          Type.Unsafe<(typeof LOGIN_THROTTLE_STORE_NAMES)[number]>({
            type: 'string',
            enum: [...LOGIN_THROTTLE_STORE_NAMES],
          }),
        ),
        /** Empty: the rate limiter's (`gateway.rateLimit.redisUrl`, PORTICO_REDIS_URL). */
        redisUrl: RedisUrl(),
        /** Longest wait for Redis before an attempt is counted locally instead. */
        redisTimeoutMs: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
        /** Prepended to every Redis key. */
        prefix: Type.String({ maxLength: 256, default: 'portico:lt:' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Password of the first platform admin; only read when the store has none. Prefer the env variable. */
    adminPassword: Type.String({ default: '', maxLength: 256 }),
    /** Key of the secret hashes (refresh tokens, API keys, client secrets); generated and stored when empty. */
    secretKey: Type.String({ default: '', maxLength: 1024 }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables of these sections, by the key's path. */
export const IDENTITY_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_DATABASE_URL: ['store', 'url'],
  PORTICO_STORE_KEYS: ['store', 'encryptionKeys'],
  PORTICO_STORE_KEY_FILE: ['store', 'encryptionKeyFile'],
  PORTICO_ADMIN_PASSWORD: ['identity', 'adminPassword'],
  PORTICO_IDENTITY_SECRET: ['identity', 'secretKey'],
  PORTICO_ISSUER: ['identity', 'issuer'],
  PORTICO_ACCESS_TOKEN_TTL_SECONDS: ['identity', 'accessTokenTtlSeconds'],
  PORTICO_KEY_GRACE_SECONDS: ['identity', 'keyGraceSeconds'],
  PORTICO_LOGIN_MAX_FAILURES: ['identity', 'throttle', 'maxFailuresPerIdentifier'],
  PORTICO_LOGIN_MAX_FAILURES_PER_IP: ['identity', 'throttle', 'maxFailuresPerIp'],
  PORTICO_LOGIN_THROTTLE_STORE: ['identity', 'throttle', 'store'],
  PORTICO_LOGIN_THROTTLE_REDIS_URL: ['identity', 'throttle', 'redisUrl'],
};
