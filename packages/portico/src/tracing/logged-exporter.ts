import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';

/**
 * Wraps an exporter so a collector outage is logged once when it starts and once when it ends,
 * instead of never (OpenTelemetry reports through its `diag` logger, silent by default) or on
 * every batch.
 *
 * @example
 * ```ts
 * const exporter = new LoggedExporter(new OTLPTraceExporter(), logger, 'http://collector:4318/v1/traces');
 * ```
 */
export class LoggedExporter implements SpanExporter {
  private failing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
    private readonly endpoint: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        if (!this.failing) {
          this.logger.warn(
            { err: result.error, endpoint: this.endpoint, spans: spans.length },
            'trace export failed: spans are dropped until the collector answers',
          );
        }
        this.failing = true;
      } else if (this.failing) {
        this.failing = false;
        this.logger.info({ endpoint: this.endpoint }, 'trace export works again');
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
