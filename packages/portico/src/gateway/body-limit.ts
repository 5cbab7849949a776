import { Transform, type TransformCallback } from 'node:stream';

/** Raised inside a request body stream that grew past the limit. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * Passes a body of unknown length (chunked) through, failing once it exceeds `limit` bytes.
 * Bodies with a `content-length` are checked up front and never need this.
 */
export class BodyLimiter extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) callback(new BodyTooLargeError(`body exceeds ${this.limit} bytes`));
    else callback(null, chunk);
  }
}
