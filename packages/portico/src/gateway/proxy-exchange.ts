import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { sendError } from '../http/envelope-response.js';
import { BodyLimiter, BodyTooLargeError } from './body-limit.js';
import { stripResponseHopHeaders, upstreamHeaders } from './forward-headers.js';
import type { Upstream } from './upstream.js';

/** Limits of one forwarded request. */
export interface ExchangeLimits {
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
}

/** How much of an oversized chunked body is read and thrown away to keep the connection. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const CLIENT_GONE = new Error('client closed the connection');

/**
 * One request forwarded to one upstream: streams the body up and the response down with
 * backpressure both ways, and turns a failure before the response started into the envelope.
 * It is undici's dispatch handler, so no intermediate stream or promise is made per request.
 */
export class ProxyExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private finished = false;
  private tooLarge = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly upstream: Upstream,
    private readonly requestId: string,
  ) {}

  /** Sends the request to `path` on the upstream. */
  start(path: string, limits: ExchangeLimits): void {
    const { req, res } = this;
    const length = req.headers['content-length'];
    // An unread body is discarded by Node once the answer is sent, so the caller reads the 413.
    if (length !== undefined && Number(length) > limits.maxBodyBytes) {
      this.fail('PAYLOAD_TOO_LARGE', `the body is larger than ${limits.maxBodyBytes} bytes`);
      return;
    }
    let body: IncomingMessage | BodyLimiter | null = null;
    if (req.headers['transfer-encoding'] !== undefined) {
      const limiter = new BodyLimiter(limits.maxBodyBytes);
      limiter.once('error', (error) => {
        if (error instanceof BodyTooLargeError) {
          this.tooLarge = true;
          // Discard the rest, so the connection carries the next request after the 413; a body
          // that goes on and on past a generous bound loses its connection instead.
          req.unpipe(limiter);
          let discarded = 0;
          req.on('data', (chunk: Buffer) => {
            discarded += chunk.length;
            if (discarded > DISCARD_LIMIT_BYTES) req.destroy();
          });
          req.resume();
        }
      });
      body = req.pipe(limiter);
    } else if (length !== undefined && length !== '0') {
      body = req;
    }
    this.upstream.outstanding++;
    res.once('close', this.onClientClose);
    this.upstream.pool.dispatch(
      {
        path,
        method: req.method as Dispatcher.HttpMethod,
        headers: upstreamHeaders(req, this.requestId),
        body,
        headersTimeout: limits.upstreamTimeoutMs,
        bodyTimeout: limits.upstreamTimeoutMs,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return;
    stripResponseHopHeaders(headers);
    headers['x-request-id'] = this.requestId;
    this.res.writeHead(statusCode, statusMessage || undefined, headers as Record<string, string | string[]>);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.done();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.done();
    if (error === CLIENT_GONE) return;
    if (this.res.headersSent) {
      this.res.destroy(error);
    } else if (this.tooLarge || error instanceof BodyTooLargeError) {
      this.fail('PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
    } else if (TIMEOUT_CODES.has((error as { code?: string }).code ?? '')) {
      this.fail('UPSTREAM_TIMEOUT', `service ${this.upstream.instance.service} did not answer in time`);
    } else {
      this.fail('UPSTREAM_ERROR', `service ${this.upstream.instance.service} failed: ${describe(error)}`);
    }
  }

  private readonly onClientClose = (): void => {
    if (!this.finished) this.controller?.abort(CLIENT_GONE);
  };

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.upstream.outstanding--;
  }

  private fail(code: 'PAYLOAD_TOO_LARGE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_ERROR', message: string): void {
    sendError(this.res, this.requestId, code, message);
  }
}

function describe(error: Error): string {
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  return code ?? error.message;
}
