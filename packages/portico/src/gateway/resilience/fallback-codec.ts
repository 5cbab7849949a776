import type { CachedResponse } from './fallback-cache.js';

/**
 * A cached answer as one Redis value: a 4-byte length, the JSON of its status, headers and time,
 * then the body's bytes as they are (no base64 growth).
 *
 * @example
 * ```ts
 * const value = encodeFallback({ status: 200, headers: {}, body: Buffer.from('ok'), storedAt: Date.now() });
 * decodeFallback(value)?.body.toString(); // 'ok'
 * ```
 */
export function encodeFallback(response: CachedResponse): Buffer {
  const head = Buffer.from(
    JSON.stringify({ status: response.status, headers: response.headers, storedAt: response.storedAt }),
  );
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(head.length, 0);
  return Buffer.concat([length, head, response.body]);
}

/** The answer in `value`, or undefined for anything that is not one (another writer, a damaged value). */
export function decodeFallback(value: Buffer | null): CachedResponse | undefined {
  if (!value || value.length < 4) return undefined;
  const length = value.readUInt32BE(0);
  if (4 + length > value.length) return undefined;
  try {
    const head = JSON.parse(value.subarray(4, 4 + length).toString('utf8')) as Partial<CachedResponse>;
    if (typeof head.status !== 'number' || typeof head.storedAt !== 'number' || typeof head.headers !== 'object') {
      return undefined;
    }
    return {
      status: head.status,
      headers: head.headers ?? {},
      storedAt: head.storedAt,
      body: Buffer.from(value.subarray(4 + length)),
    };
  } catch {
    return undefined;
  }
}
