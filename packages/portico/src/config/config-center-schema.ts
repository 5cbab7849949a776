import { Type } from '@sinclair/typebox';

/** Names of the config center's adapters; `config-center/create-config-store.ts` resolves them. */
export const CONFIG_STORE_ADAPTERS = ['store', 'memory'] as const;

/**
 * The `configCenter` section of `portico.yaml` (docs/config-center.md): where entries live
 * (`store`: the platform's PGlite or PostgreSQL; `memory`: gone at restart) and how large one
 * may grow.
 */
export const ConfigCenterSchema = Type.Object(
  {
    adapter: Type.Unsafe<(typeof CONFIG_STORE_ADAPTERS)[number]>({
      type: 'string',
      enum: [...CONFIG_STORE_ADAPTERS],
      default: 'store',
    }),
    maxEntryBytes: Type.Integer({ minimum: 256, maximum: 512 * 1024, default: 64 * 1024 }),
  },
  { additionalProperties: false, default: {} },
);
