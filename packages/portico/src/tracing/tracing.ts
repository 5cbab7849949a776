import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { PorticoConfig } from '../config/schema.js';
import { VERSION } from '../version.js';
import { LoggedExporter } from './logged-exporter.js';
import { type RequestTracer, requestTracer } from './request-trace.js';

/** The gateway's tracer and how to flush it. */
export interface Tracing {
  readonly tracer: Tracer;
  /** What the gateway starts each request's trace with. */
  readonly requests: RequestTracer;
  /** Exports what is still queued, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Builds the tracer of `tracing` settings: spans batched to an OTLP/HTTP (JSON) collector, or to
 * no exporter (`none`: traces still propagate), plus any `extra` processors (tests pass an
 * in-memory exporter). Loaded only when tracing is on (`await import`), so a gateway without
 * tracing never loads the OpenTelemetry SDK. The provider is Portico's own, not registered globally, so an
 * application that embeds Portico keeps its OpenTelemetry setup. New traces are sampled at
 * `sampleRatio`; a caller's decision (the `traceparent` sampled flag) is followed.
 *
 * @example
 * ```ts
 * const tracing = startTracing(config.tracing, logger);
 * const span = tracing.tracer.startSpan('GET /api/orders');
 * span.end();
 * await tracing.shutdown();
 * ```
 */
export function startTracing(
  settings: PorticoConfig['tracing'],
  logger: Logger,
  extra: readonly SpanProcessor[] = [],
): Tracing {
  const processors = [...extra];
  const endpoint = settings.endpoint || standardEndpoint(process.env);
  if (settings.exporter === 'otlp') {
    // Without a URL the exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself.
    const exporter = new OTLPTraceExporter(settings.endpoint ? { url: settings.endpoint } : {});
    processors.push(new BatchSpanProcessor(new LoggedExporter(exporter, logger, endpoint)));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: processors,
  });
  logger.info(
    { exporter: settings.exporter, endpoint: settings.exporter === 'otlp' ? endpoint : undefined },
    'tracing on',
  );
  const tracer = provider.getTracer('portico', VERSION);
  return { tracer, requests: requestTracer(tracer), shutdown: () => provider.shutdown() };
}

/** Where the OTLP exporter sends when given no URL, for the log (it resolves it the same way). */
function standardEndpoint(env: NodeJS.ProcessEnv): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces';
}
