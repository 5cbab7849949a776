import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** Raised inside a request body that grew past the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** How much of an oversized body is read and thrown away to keep the client's connection. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The caller's request body as undici reads it for one try. It touches the caller's stream
 * only when undici first asks for data, so a try that never connected leaves the body unread
 * and the request can go to another instance; and undici destroying it (as it does on any
 * failure) never destroys the caller's request, so the caller still gets an answer.
 */
export class UpstreamBody extends Readable {
  /** True once any of the caller's body was read: from then on the request cannot be replayed. */
  started = false;
  private seen = 0;
  private readonly onData = (chunk: Buffer): void => {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.tooLarge = true;
      this.destroy(new BodyTooLargeError(`body exceeds ${this.limit} bytes`));
      return;
    }
    if (!this.push(chunk)) this.req.pause();
  };
  private readonly onEnd = (): void => {
    this.push(null);
  };
  private readonly onError = (error: Error): void => {
    this.destroy(error);
  };
  /** Set when the body passed the limit: the answer is a 413. */
  tooLarge = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
  ) {
    super();
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.req.on('data', this.onData);
      this.req.once('end', this.onEnd);
      this.req.once('error', this.onError);
    }
    this.req.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    if (this.tooLarge) discardRest(this.req);
    callback(error);
  }
}

/** Reads and drops what is left of a body, so the connection can carry the next request. */
export function discardRest(req: IncomingMessage): void {
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) req.destroy();
  });
  req.resume();
}
