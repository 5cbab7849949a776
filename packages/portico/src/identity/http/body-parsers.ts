import { PorticoError } from '@portico/sdk';
import type { FastifyInstance } from 'fastify';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
// JSON.stringify writes a lone surrogate as an escape; Postgres refuses it, and NUL, in text and jsonb.
const UNSTORABLE = /\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;

/**
 * Parses JSON bodies strictly: bytes that are not UTF-8, NUL characters and lone surrogates are a
 * `VALIDATION_ERROR` here, rather than replacement characters in a username or a 500 from the
 * database later.
 *
 * @example
 * ```ts
 * await app.register(async (scoped) => { installStrictJson(scoped); scoped.post('/x', handler); });
 * ```
 */
export function installStrictJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseStrict(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** `application/x-www-form-urlencoded`, which OAuth clients send to the token endpoint. */
export function installFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      const text = decode(body as Buffer);
      const params = new URLSearchParams(text);
      const out: Record<string, string> = {};
      for (const [key, value] of params) {
        if (Object.hasOwn(out, key)) throw new PorticoError('VALIDATION_ERROR', `parameter ${key} is repeated`);
        out[key] = value;
      }
      checkStorable(JSON.stringify(out));
      done(null, out);
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * Parses a JSON body, refusing what cannot be stored.
 *
 * @example
 * ```ts
 * parseStrict(Buffer.from('{"a":"\\u0000"}')); // throws VALIDATION_ERROR
 * ```
 */
export function parseStrict(body: Buffer): unknown {
  const text = decode(body);
  if (text.trim() === '') throw new PorticoError('VALIDATION_ERROR', 'the body is empty but the content type is JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PorticoError('VALIDATION_ERROR', 'the body is not valid JSON', { reason: (cause as Error).message });
  }
  checkStorable(JSON.stringify(value));
  return value;
}

function decode(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new PorticoError('VALIDATION_ERROR', 'the body is not valid UTF-8');
  }
}

function checkStorable(serialized: string): void {
  if (UNSTORABLE.test(serialized)) {
    throw new PorticoError('VALIDATION_ERROR', 'the body contains a NUL character or a lone surrogate');
  }
}
