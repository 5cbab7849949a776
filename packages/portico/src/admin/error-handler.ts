import { type ErrorCode, fail, PorticoError } from '@portico/sdk';
import type { FastifyError, FastifyInstance } from 'fastify';

/** Fastify's own error codes, answered with the platform's stable ones. */
const FRAMEWORK_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['VALIDATION_ERROR', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['VALIDATION_ERROR', 'the body is empty but the content type is JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'the body is larger than the limit'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['VALIDATION_ERROR', 'the content-length does not match the body'],
  FST_ERR_BAD_URL: ['VALIDATION_ERROR', 'the URL is malformed'],
  FST_ERR_ASYNC_CONSTRAINT: ['VALIDATION_ERROR', 'the request does not match any route constraint'],
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'AUTHENTICATION_ERROR',
  403: 'AUTHORIZATION_ERROR',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * Turns whatever a route throws into the platform's envelope with a stable code. Only an error
 * nobody anticipated becomes a 500, and it is logged with its stack.
 */
export function toPorticoError(error: FastifyError | PorticoError | Error): PorticoError {
  if (error instanceof PorticoError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const details = fastifyError.validation.map((issue) => ({
      field: fieldOf(fastifyError.validationContext, issue.instancePath, issue.params),
      message: issue.message ?? 'is invalid',
    }));
    return new PorticoError('VALIDATION_ERROR', 'the request is invalid', details);
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new PorticoError('VALIDATION_ERROR', 'the body is not valid JSON', { reason: error.message });
  }
  const known = fastifyError.code ? FRAMEWORK_CODES[fastifyError.code] : undefined;
  if (known) return new PorticoError(known[0], known[1]);
  const byStatus = fastifyError.statusCode ? BY_STATUS[fastifyError.statusCode] : undefined;
  if (byStatus) return new PorticoError(byStatus, fastifyError.message);
  return new PorticoError('INTERNAL_ERROR', 'an unexpected error occurred');
}

function fieldOf(context: string | undefined, instancePath: string, params: Record<string, unknown>): string {
  const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
  const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
  const path = `${instancePath}${missing}${extra}`.replace(/^\//, '').replaceAll('/', '.');
  return context && context !== 'body' ? `${context}.${path}` : path || '(body)';
}

/** Installs the envelope error and not-found handlers on an admin-port app. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = toPorticoError(error);
    if (mapped.code === 'INTERNAL_ERROR') request.log.error({ err: error }, 'unhandled error');
    reply.code(mapped.status).send(fail(mapped, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new PorticoError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
    reply.code(404).send(fail(error, request.id));
  });
}
