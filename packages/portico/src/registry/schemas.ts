import { Type } from '@sinclair/typebox';
import { StringEnum } from '../config/schema.js';

/** Lowercase DNS label: service names appear in URLs as `/api/{service}/...`. */
export const SERVICE_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

export const ServiceName = Type.String({ pattern: SERVICE_NAME_PATTERN, maxLength: 63 });
export const InstanceId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });

const Endpoint = Type.Object(
  {
    method: StringEnum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*'] as const),
    path: Type.String({ pattern: '^/[^\\s?#]*$', maxLength: 1024 }),
    public: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
    permissions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);

/**
 * The body of `POST /v1/registry/instances`. Bounded everywhere so one registration cannot
 * grow the registry (and every gateway's routing table) without limit.
 */
export function registrationSchema(maxTtlSeconds: number) {
  return Type.Object(
    {
      id: Type.Optional(InstanceId),
      service: ServiceName,
      host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9._:\\[\\]%-]+$' }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      basePath: Type.Optional(Type.String({ maxLength: 1024, pattern: '^/?[^\\s?#]*$' })),
      version: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
      weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
      metadata: Type.Optional(
        Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 1024 }), { maxProperties: 64 }),
      ),
      auth: Type.Optional(StringEnum(['public', 'jwt', 'api-key', 'any'] as const)),
      endpoints: Type.Optional(Type.Array(Endpoint, { maxItems: 1024 })),
      healthCheck: Type.Optional(
        Type.Object(
          {
            path: Type.String({ pattern: '^/[^\\s#]*$', maxLength: 1024 }),
            intervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
            timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
            healthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          },
          { additionalProperties: false },
        ),
      ),
      ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: maxTtlSeconds })),
      // Checked by validateOpenApi, so every problem with it answers OPENAPI_INVALID with a reason.
      openapi: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  );
}
