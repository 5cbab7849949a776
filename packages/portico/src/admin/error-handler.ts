import { type ErrorCode, fail, PorticoError } from '@portico/sdk';
import type { FastifyError, FastifyInstance } from 'fastify';
import { requestProblem, validationError } from './request-validation.js';

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
  if (fastifyError.validation) return validationError(fastifyError.validationContext, fastifyError.validation);
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new PorticoError('VALIDATION_ERROR', 'the body is not valid JSON', { reason: error.message });
  }
  const known = fastifyError.code ? requestProblem(fastifyError.code) : undefined;
  if (known) return known;
  const byStatus = fastifyError.statusCode ? BY_STATUS[fastifyError.statusCode] : undefined;
  if (byStatus) return new PorticoError(byStatus, fastifyError.message);
  return new PorticoError('INTERNAL_ERROR', 'an unexpected error occurred');
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
