import { type ErrorCode, PorticoError } from '@portico/sdk';
import type { ErrorObject, Options } from 'ajv';

/**
 * How the admin port's request schemas are checked, by Fastify's validator (the full admin app)
 * and by ajv directly (a gateway-only process's lean admin server): the same options, so a body
 * one refuses the other refuses with the same details. Wrong types are errors, not something to
 * coerce; unknown fields are rejected by the schemas; every problem is reported, not the first.
 * Fastify lays its own defaults under these; every one that changes a result is restated here.
 *
 * @example
 * ```ts
 * const validate = new Ajv(REQUEST_AJV_OPTIONS).compile(schema);
 * ```
 */
export const REQUEST_AJV_OPTIONS = {
  coerceTypes: false,
  useDefaults: true,
  removeAdditional: false,
  allErrors: true,
  addUsedSchema: false,
} as const satisfies Options;

/** One failed check of a request part, as ajv reports it (Fastify passes ajv's on unchanged). */
export type ValidationIssue = Pick<ErrorObject, 'instancePath' | 'params' | 'message'>;

/**
 * The envelope error for a request part that failed its schema: 400 `VALIDATION_ERROR` with one
 * `{field, message}` per problem, fields dotted (`paths.0`) and prefixed by the part unless it
 * is the body (`params.name`).
 *
 * @example
 * ```ts
 * if (!validate(body)) throw validationError('body', validate.errors ?? []);
 * ```
 */
export function validationError(context: string | undefined, issues: readonly ValidationIssue[]): PorticoError {
  const details = issues.map((issue) => ({
    field: fieldOf(context, issue.instancePath, issue.params),
    message: issue.message ?? 'is invalid',
  }));
  return new PorticoError('VALIDATION_ERROR', 'the request is invalid', details);
}

function fieldOf(context: string | undefined, instancePath: string, params: Record<string, unknown>): string {
  const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
  const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
  const path = `${instancePath}${missing}${extra}`.replace(/^\//, '').replaceAll('/', '.');
  return context && context !== 'body' ? `${context}.${path}` : path || '(body)';
}

/**
 * Problems with a request itself (its URL, its body's framing or type), named by Fastify's codes
 * for them: the full admin app maps Fastify's errors through this table, and the lean admin
 * server raises the same codes where it finds the same problems, so both answer alike.
 */
const REQUEST_PROBLEMS: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['VALIDATION_ERROR', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['VALIDATION_ERROR', 'the body is empty but the content type is JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'the body is larger than the limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['VALIDATION_ERROR', 'the content-length does not match the body'],
  FST_ERR_BAD_URL: ['VALIDATION_ERROR', 'the URL is malformed'],
  FST_ERR_ASYNC_CONSTRAINT: ['VALIDATION_ERROR', 'the request does not match any route constraint'],
};

/**
 * A request problem the table knows, as the envelope error to answer with; undefined otherwise.
 *
 * @example
 * ```ts
 * requestProblem('FST_ERR_CTP_EMPTY_JSON_BODY'); // VALIDATION_ERROR, 'the body is empty but the content type is JSON'
 * ```
 */
export function requestProblem(code: string): PorticoError | undefined {
  const known = Object.hasOwn(REQUEST_PROBLEMS, code) ? REQUEST_PROBLEMS[code] : undefined;
  return known ? new PorticoError(known[0], known[1]) : undefined;
}
