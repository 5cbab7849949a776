import { Type } from '@sinclair/typebox';

/** How the registry treats writes (register, heartbeat, deregister) that carry no credential. */
export const REGISTRY_AUTH_MODES = ['loopback-open', 'required'] as const;

/** Where the registry keeps its state (docs/scale-out.md): this process's memory, or NATS JetStream KV. */
export const REGISTRY_STORES = ['memory', 'nats'] as const;

/** `registry.nats`: the JetStream KV store that several registry processes share. */
export const RegistryNatsSchema = Type.Object(
  {
    /** The NATS server(s); empty = `bus.url`. */
    url: Type.String({ default: '', maxLength: 2048 }),
    /** Instance bucket; the lease bucket is `<bucket>-leases`. */
    bucket: Type.String({ pattern: '^[A-Za-z0-9_-]{1,48}$', default: 'portico-registry' }),
    /** Copies of each bucket in a NATS cluster (1 on a single server). */
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
    /** Past changes kept per instance key, for watchers that resume from a revision. */
    history: Type.Integer({ minimum: 2, maximum: 64, default: 16 }),
    /** How long the elected lease sweeper holds its term unless it renews it. */
    leaderLeaseSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 10 }),
    /** How often the elected sweeper looks for expired leases. */
    sweepMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 500 }),
    /** Credentials, when the server asks for them: a token, or a user and password. */
    token: Type.String({ default: '', maxLength: 4096 }),
    user: Type.String({ default: '', maxLength: 256 }),
    pass: Type.String({ default: '', maxLength: 4096 }),
  },
  { additionalProperties: false, default: {} },
);

/** A registration key as stored: `sha256:` and the hex SHA-256 of the key (the key itself is never kept). */
export const REGISTRATION_KEY_HASH_PATTERN = '^sha256:[0-9a-f]{64}$';

/**
 * `registry.lastKnownGood`: where a gateway started alone keeps the registry state it last knew,
 * so it can route at start-up while every registry is down (docs/scale-out.md).
 */
const LastKnownGoodSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Empty: `dataDir/last-known-good.json`. */
    file: Type.String({ default: '' }),
    /** Changes that arrive within this time are written once. */
    debounceMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 500 }),
    /** How long a starting gateway waits for the registry's snapshot before it routes from the file. */
    waitMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 250 }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The `registry` section of `portico.yaml`: where the state lives, leases, watch history, and who may write.
 * `auth: loopback-open` (the default) accepts writes without a credential only while the admin
 * port is bound to a loopback address; `required` always asks for one (docs/registry.md).
 */
export const RegistrySchema = Type.Object(
  {
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 30 }),
    maxTtlSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 3600 }),
    watchHistory: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
    store: Type.Unsafe<(typeof REGISTRY_STORES)[number]>({
      type: 'string',
      enum: [...REGISTRY_STORES],
      default: 'memory',
    }),
    nats: RegistryNatsSchema,
    auth: Type.Unsafe<(typeof REGISTRY_AUTH_MODES)[number]>({
      type: 'string',
      enum: [...REGISTRY_AUTH_MODES],
      default: 'loopback-open',
    }),
    /** Registration keys by service name, stored hashed: a key of `hello` may write only `hello`'s instances. */
    keys: Type.Record(
      Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' }),
      Type.Array(Type.String({ pattern: REGISTRATION_KEY_HASH_PATTERN }), { maxItems: 16 }),
      { default: {} },
    ),
    lastKnownGood: LastKnownGoodSchema,
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables that override a key of the registry section. */
export const REGISTRY_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_REGISTRY_AUTH: ['registry', 'auth'],
  PORTICO_REGISTRY_STORE: ['registry', 'store'],
  PORTICO_REGISTRY_NATS_URL: ['registry', 'nats', 'url'],
  PORTICO_REGISTRY_NATS_BUCKET: ['registry', 'nats', 'bucket'],
  PORTICO_LAST_KNOWN_GOOD: ['registry', 'lastKnownGood', 'enabled'],
  PORTICO_LAST_KNOWN_GOOD_FILE: ['registry', 'lastKnownGood', 'file'],
};
