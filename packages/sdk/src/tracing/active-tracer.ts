import { ProxyTracerProvider, type Tracer, trace } from '@opentelemetry/api';

const NAME = '@portico/sdk';

/**
 * The tracer of the OpenTelemetry SDK the application registered, or undefined when it
 * registered none. Asked on every request (an application may register after `serve()`), and
 * cheap when undefined: no span, no context, nothing allocated.
 *
 * @example
 * ```ts
 * const tracer = activeTracer();
 * if (tracer) tracer.startSpan('work').end();
 * ```
 */
export function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  // The API's proxy has a delegate only once an SDK registered; another copy of the API is
  // registered by then too, and answers with its own tracer.
  return provider instanceof ProxyTracerProvider ? provider.getDelegateTracer(NAME) : provider.getTracer(NAME);
}
