import type { IncomingMessage } from 'node:http';
import type { PorticoError } from '@portico/sdk';
import { requestProblem } from './request-validation.js';

/** Read past the limit, to answer 413 to a client still uploading, before the connection is cut. */
const DRAIN_PAST_LIMIT_BYTES = 64 * 1024 * 1024;

/** Media types as Fastify reads them (`lib/content-type.js`): a token, a slash, a token. */
const TYPE_NAME = /^[\w!#$%&'*+.^`|~-]+$/;
const SUBTYPE_NAME = /^[\w!#$%&'*+.^`|~-]+\s*$/;

/** Thrown for a body that cannot be read as JSON; `error` is the envelope error to answer with. */
export class BodyError extends Error {
  constructor(
    readonly error: PorticoError,
    /** True when the rest of the upload was not read: the answer must close the connection. */
    readonly abandoned = false,
  ) {
    super(error.message);
  }
}

/**
 * The JSON body of a request to the lean admin server, read the way the full (Fastify) admin
 * app reads it, so both answer a bad body alike: none at all is `undefined` (the schema then
 * says what is missing); a body without a JSON content type is 415; an empty one, invalid JSON
 * or JSON with a `__proto__` key or a `constructor.prototype` is 400; more than `limit` bytes is
 * 413, after reading (and discarding) up to 64 MiB more so the client sees the answer.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(req, 1024 * 1024); // throws BodyError
 * ```
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type === undefined) {
    const length = req.headers['content-length'];
    if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return undefined;
    throw problem('FST_ERR_CTP_INVALID_MEDIA_TYPE');
  }
  if (mediaType(type) !== 'application/json') throw problem('FST_ERR_CTP_INVALID_MEDIA_TYPE');
  const bytes = await readAll(req, limit);
  const announced = Number(req.headers['content-length']);
  if (!Number.isNaN(announced) && bytes.length !== announced) throw problem('FST_ERR_CTP_INVALID_CONTENT_LENGTH');
  if (bytes.length === 0) throw problem('FST_ERR_CTP_EMPTY_JSON_BODY');
  try {
    return JSON.parse(bytes.toString('utf8'), refusePrototypeKeys);
  } catch {
    throw problem('FST_ERR_CTP_INVALID_JSON_BODY');
  }
}

/** `type/subtype` in lower case, or undefined when the header is not a valid media type. */
function mediaType(header: string): string | undefined {
  const end = header.indexOf(';');
  const value = (end === -1 ? header : header.slice(0, end)).toLowerCase();
  const slash = value.indexOf('/');
  if (slash === -1) return undefined;
  const type = value.slice(0, slash).trimStart();
  const subtype = value.slice(slash + 1).trimEnd();
  return TYPE_NAME.test(type) && SUBTYPE_NAME.test(subtype) ? `${type}/${subtype}` : undefined;
}

/** What Fastify's JSON parser (secure-json-parse, `protoAction` and `constructorAction` "error") refuses. */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
  if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
    throw new SyntaxError('Object contains forbidden prototype property');
  }
  return value;
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit + DRAIN_PAST_LIMIT_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyError(tooLarge(), true));
      } else if (seen <= limit) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => (seen > limit ? reject(new BodyError(tooLarge())) : resolve(Buffer.concat(chunks, seen))));
    req.on('error', reject);
  });
}

function tooLarge(): PorticoError {
  return requestProblem('FST_ERR_CTP_BODY_TOO_LARGE') as PorticoError;
}

function problem(code: string): BodyError {
  return new BodyError(requestProblem(code) as PorticoError);
}
