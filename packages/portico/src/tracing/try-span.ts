import { type Span, SpanStatusCode } from '@opentelemetry/api';

/**
 * The span of one try of an instance, as the try reports to it: the answer's status when it
 * arrives, then the end, with the error when the try failed. Made only with tracing on.
 *
 * @example
 * ```ts
 * const trySpan = new TrySpan(tracer.startSpan('GET orders'));
 * trySpan.answered(503);
 * trySpan.ended(undefined);
 * ```
 */
export class TrySpan {
  constructor(readonly span: Span) {}

  /** A 5xx marks the try failed, even when the gateway then retries: it says what this instance did. */
  answered(status: number): void {
    this.span.setAttribute('http.response.status_code', status);
    if (status >= 500) {
      this.span.setAttribute('error.type', String(status));
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  /**
   * Ends the span; `error` is why the try failed (a timeout, a refused connection…), or undefined
   * when it completed or its 5xx answer was already recorded.
   */
  ended(error: Error | undefined): void {
    if (error !== undefined) {
      const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
      this.span.setAttribute('error.type', code ?? error.name);
      this.span.recordException(error);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    this.span.end();
  }
}
