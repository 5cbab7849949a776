import { Type } from '@sinclair/typebox';

/**
 * `console`: the web admin served on the admin port at `/console` (docs/console.md). A
 * gateway-only process never serves it, whatever this says.
 */
export const ConsoleSchema = Type.Object(
  {
    /** Off: `/console` is not mounted and no console session is accepted. */
    enabled: Type.Boolean({ default: true }),
    /** A console session ends after this many seconds without a request. */
    sessionIdleSeconds: Type.Integer({ minimum: 60, maximum: 86_400, default: 1800 }),
    /** A console session ends this many seconds after sign-in, however active it is. */
    sessionAbsoluteSeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 43_200 }),
  },
  { additionalProperties: false, default: {} },
);
