import { Type } from '@sinclair/typebox';

/**
 * The `openapi` section of `portico.yaml` (docs/openapi.md): the registry checks each service's
 * document against `maxDocumentBytes`; the gateway serves the merged one at `/openapi.json` and
 * its page at `/docs` on the public port unless `enabled` is false.
 */
export const OpenApiSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Largest document one instance may register, as JSON; the admin API's body limit (1 MiB) bounds it too. */
    maxDocumentBytes: Type.Integer({ minimum: 1024, maximum: 1_000_000, default: 256 * 1024 }),
    /** `info.title` of the merged document. */
    title: Type.String({ minLength: 1, maxLength: 200, default: 'Portico API' }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables that override a key of the openapi section. */
export const OPENAPI_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_OPENAPI_ENABLED: ['openapi', 'enabled'],
};
