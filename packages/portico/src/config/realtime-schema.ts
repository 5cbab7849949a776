import { type Static, Type } from '@sinclair/typebox';

/** `realtime`: the WebSocket hub on the public port (docs/realtime.md). */
export const RealtimeSchema = Type.Object(
  {
    /** Off: `/ws` is not served and upgrades there answer 404. */
    enabled: Type.Boolean({ default: true }),
    /** Path of the hub on the public port. */
    path: Type.String({ default: '/ws', pattern: '^/[A-Za-z0-9/_.-]*$', maxLength: 256 }),
    /** How long a socket may stay unauthenticated before it is closed with 4401. */
    authDeadlineMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
    /** A socket whose unsent bytes pass this is closed with 4008 (slow client). */
    maxBufferedBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** Messages kept per channel for resume after a reconnect. */
    historySize: Type.Integer({ minimum: 0, maximum: 100_000, default: 100 }),
    /** Ping period; a socket that missed the previous pong is terminated. */
    pingIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
    /** Channels one socket may hold. */
    maxChannelsPerSocket: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
    /** Time between the "reauth" frame sent at token expiry and the 4403 close. */
    reauthGraceMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000 }),
    /** Permission needed to subscribe (besides the channel's tenant); empty = any authenticated caller. */
    subscribePermission: Type.String({ default: '', maxLength: 256 }),
    /** Bus topic the hub consumes; every gateway process reads it as its own fan-out group. */
    topic: Type.String({ default: 'realtime.publish', minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables of `realtime`, by the key's path. */
export const REALTIME_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_REALTIME_ENABLED: ['realtime', 'enabled'],
  PORTICO_REALTIME_AUTH_DEADLINE_MS: ['realtime', 'authDeadlineMs'],
  PORTICO_REALTIME_MAX_BUFFERED_BYTES: ['realtime', 'maxBufferedBytes'],
  PORTICO_REALTIME_HISTORY_SIZE: ['realtime', 'historySize'],
  PORTICO_REALTIME_PING_INTERVAL_MS: ['realtime', 'pingIntervalMs'],
};

export type RealtimeConfig = Static<typeof RealtimeSchema>;
