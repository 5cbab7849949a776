import { Type } from '@sinclair/typebox';

/** Where finished spans go: an OTLP/HTTP collector, or nowhere (spans still propagate). */
export const TRACE_EXPORTERS = ['otlp', 'none'] as const;

/** `tracing`: OpenTelemetry spans of the gateway, exported over OTLP/HTTP. Off by default. */
export const TracingSchema = Type.Object(
  {
    /** Off: no span is made and the caller's `traceparent` passes through untouched. */
    enabled: Type.Boolean({ default: false }),
    exporter: Type.Unsafe<(typeof TRACE_EXPORTERS)[number]>({
      type: 'string',
      enum: [...TRACE_EXPORTERS],
      default: 'otlp',
    }),
    /**
     * The collector's traces URL. Empty: the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
     * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`.
     */
    endpoint: Type.String({ default: '', maxLength: 2048, pattern: '^(https?://.*)?$' }),
    /** `service.name` of the spans' resource. */
    serviceName: Type.String({ minLength: 1, maxLength: 256, default: 'portico' }),
    /** Share of new traces kept; a caller's sampling decision is always followed. */
    sampleRatio: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables of `tracing`, by the key's path. */
export const TRACING_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_TRACING_ENABLED: ['tracing', 'enabled'],
  PORTICO_TRACING_EXPORTER: ['tracing', 'exporter'],
  PORTICO_OTLP_ENDPOINT: ['tracing', 'endpoint'],
  PORTICO_TRACING_SAMPLE_RATIO: ['tracing', 'sampleRatio'],
  OTEL_SERVICE_NAME: ['tracing', 'serviceName'],
};
