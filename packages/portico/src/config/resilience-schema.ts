import { type Static, type TProperties, Type } from '@sinclair/typebox';

/**
 * The resilience settings of the gateway: under `gateway` they are the defaults for every
 * service (each key with its default); under `services.{name}` any subset overrides them.
 */
function settings(withDefaults: boolean) {
  const int = (minimum: number, maximum: number, fallback: number) =>
    Type.Integer(withDefaults ? { minimum, maximum, default: fallback } : { minimum, maximum });
  const bool = (fallback: boolean) => Type.Boolean(withDefaults ? { default: fallback } : {});
  const section = <T extends TProperties>(properties: T) =>
    withDefaults
      ? Type.Object(properties, { additionalProperties: false, default: {} })
      : Type.Object(properties, { additionalProperties: false });
  return {
    /** Time for one request across all its tries, backoff included. */
    totalTimeoutMs: int(1, 3_600_000, 60_000),
    retries: section({
      /** Tries in all, the first included: 1 turns retries off. */
      attempts: int(1, 10, 3),
      backoffBaseMs: int(0, 10_000, 10),
      backoffMaxMs: int(0, 60_000, 250),
      /** Retry budget: retries may be at most this percent of the service's requests… */
      budgetPercent: int(0, 100, 20),
      /** …of this window (counted in whole seconds), so a burst is paid for by the traffic before it… */
      budgetWindowMs: int(1_000, 600_000, 10_000),
      /** …or this many in any one second, whichever allows more, so a quiet service can still retry. */
      budgetMinRetriesPerSecond: int(0, 10_000, 10),
      /** Upstream statuses that count as a failed try of an idempotent request. */
      onStatus: Type.Array(
        Type.Integer({ minimum: 500, maximum: 599 }),
        withDefaults ? { maxItems: 100, default: [502, 503, 504] } : { maxItems: 100 },
      ),
    }),
    outlierDetection: section({
      /** Consecutive failed tries (connect errors, timeouts, 5xx) that eject an instance. */
      consecutiveFailures: int(1, 1000, 3),
      /** First ejection; each further one doubles, up to `maxEjectionMs`. */
      baseEjectionMs: int(1, 3_600_000, 5_000),
      maxEjectionMs: int(1, 86_400_000, 300_000),
      /** Never eject more than this share of a service's instances (rounded down, at least… none). */
      maxEjectionPercent: int(0, 100, 50),
    }),
    circuitBreaker: section({
      enabled: bool(true),
      /** Consecutive failed requests (after retries) that open the breaker. */
      failureThreshold: int(1, 10_000, 5),
      /** How long it stays open before one probe request may test the service again. */
      openMs: int(1, 3_600_000, 5_000),
    }),
    fallbackCache: section({
      /** Keep the last good answer to each GET, and serve it when the service cannot answer. */
      enabled: bool(false),
      maxEntryBytes: int(0, 64 * 1024 * 1024, 256 * 1024),
      maxTotalBytes: int(0, 4 * 1024 * 1024 * 1024, 32 * 1024 * 1024),
      /** Older entries are not served. */
      maxStaleSeconds: int(1, 7 * 86_400, 3_600),
    }),
  };
}

/** Resilience keys of `gateway`, each with its default. */
export const GatewayResilience = settings(true);

const bare = settings(false);

/** A service's overrides: `services.{name}` in portico.yaml; every key optional. */
export const ServiceOverrides = Type.Partial(
  Type.Object(
    {
      connectTimeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
      upstreamTimeoutMs: Type.Integer({ minimum: 1, maximum: 3_600_000 }),
      totalTimeoutMs: bare.totalTimeoutMs,
      retries: Type.Partial(bare.retries),
      outlierDetection: Type.Partial(bare.outlierDetection),
      circuitBreaker: Type.Partial(bare.circuitBreaker),
      fallbackCache: Type.Partial(bare.fallbackCache),
      /**
       * Settings of the gateway's policies for this service, by policy name (`rateLimit`, `cors`…);
       * each is checked against its policy's schema when the config is loaded (config/load.ts).
       */
      policies: Type.Record(Type.String(), Type.Unknown()),
    },
    { additionalProperties: false },
  ),
);

export type ServiceOverridesConfig = Static<typeof ServiceOverrides>;
