import { Type } from '@sinclair/typebox';

const Token = Type.String({ minLength: 1, maxLength: 200 });
const ErrorText = Type.String({ maxLength: 2000 });
const strict = { additionalProperties: false } as const;

/** `POST /v1/bus/consumers`: a topic and the group's settings (`GroupOptions`). */
export const OpenConsumerBody = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 200 }),
    // Shorter than the bus's 200: a tenant's group is stored as `tenant_<tenant>.<group>`.
    group: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,120}$' }),
    maxDeliver: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    backoff: Type.Optional(
      Type.Object(
        {
          initialMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
          maxMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
          factor: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
        },
        strict,
      ),
    ),
    ackWaitMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 43_200_000 })),
    ordered: Type.Optional(Type.Boolean()),
    tenants: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 100 })),
    start: Type.Optional(
      Type.Union([
        Type.Object({ kind: Type.Literal('new') }, strict),
        Type.Object({ kind: Type.Literal('all') }, strict),
        Type.Object({ kind: Type.Literal('sequence'), sequence: Type.Integer({ minimum: 0 }) }, strict),
        Type.Object({ kind: Type.Literal('time'), time: Type.String({ minLength: 1, maxLength: 64 }) }, strict),
      ]),
    ),
  },
  strict,
);

/** `:id` of a consumer. */
export const ConsumerParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

/** `POST /v1/bus/consumers/:id/fetch`: at most `max` deliveries, waiting up to `waitMs` for the first. */
export const FetchBody = Type.Object(
  {
    max: Type.Integer({ minimum: 1, maximum: 10_000 }),
    waitMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  },
  strict,
);

/** `POST /v1/bus/consumers/:id/ack`. */
export const AckBody = Type.Object({ token: Token }, strict);

/** `POST /v1/bus/consumers/:id/nack`: back after `delayMs` (default: the group's backoff). */
export const NackBody = Type.Object(
  {
    token: Token,
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400_000 })),
    error: Type.Optional(ErrorText),
  },
  strict,
);

/** `POST /v1/bus/consumers/:id/reject`: straight to the dead-letter stream with `error`. */
export const RejectBody = Type.Object({ token: Token, error: ErrorText }, strict);
