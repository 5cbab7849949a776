import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../config/schema.js';
import { Cursor, Limit, ServiceName, TenantName } from '../../identity/http/schemas.js';

const strict = { additionalProperties: false } as const;

/** A schedule's name: unique in its tenant; it appears in paths and metric labels. */
export const ScheduleName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', maxLength: 100 });

export const TenantParams = Type.Object({ tenant: TenantName });
export const ScheduleParams = Type.Object({ tenant: TenantName, name: ScheduleName });
export const RunsQuery = Type.Object({ limit: Type.Optional(Limit), before: Type.Optional(Cursor) }, strict);

const BusTargetSchema = Type.Object(
  {
    kind: Type.Literal('bus'),
    type: Type.String({ minLength: 1, maxLength: 1100 }),
    data: Type.Optional(Type.Unknown()),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  strict,
);

const HttpTargetSchema = Type.Object(
  {
    kind: Type.Literal('http'),
    service: ServiceName,
    path: Type.String({ minLength: 1, maxLength: 2048, pattern: '^/' }),
    method: Type.Optional(StringEnum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const)),
    data: Type.Optional(Type.Unknown()),
  },
  strict,
);

/** `PUT /v1/scheduler/{tenant}/schedules/{name}`: a `ScheduleSpec` (`@portico/sdk`). */
export const ScheduleBody = Type.Object(
  {
    cron: Type.String({ minLength: 9, maxLength: 200 }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    target: Type.Union([BusTargetSchema, HttpTargetSchema]),
    retries: Type.Optional(
      Type.Object(
        {
          maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
          backoff: Type.Optional(
            Type.Object(
              {
                initialMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
                maxMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
                factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
              },
              strict,
            ),
          ),
        },
        strict,
      ),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    enabled: Type.Optional(Type.Boolean()),
    concurrency: Type.Optional(StringEnum(['skip', 'allow'] as const)),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  strict,
);
