import swagger from '@fastify/swagger';
import { fail, PorticoError, pathOf } from '@portico/sdk';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { installErrorHandling } from '../../admin/error-handler.js';
import { sendJson } from '../../http/envelope-response.js';
import { requestIdFrom } from '../../http/request-id.js';
import { VERSION } from '../../version.js';
import type { Identity } from '../identity.js';
import { authRoutes } from './auth-routes.js';
import { installFormParser, installStrictJson } from './body-parsers.js';
import { tokenRoute } from './token-route.js';

/** Told how each `POST /auth/login` was answered, by HTTP status (the logins metric). */
export interface LoginObserver {
  loginAnswered(status: number): void;
}

/** Paths the identity app answers on the public port; the gateway mounts exactly these. */
export const PUBLIC_IDENTITY_PATHS = ['/auth/*', '/.well-known/jwks.json'];

/**
 * The identity endpoints of the public port, as a Fastify app that never listens: the gateway
 * hands it the requests for `PUBLIC_IDENTITY_PATHS` through `routing(req, res)`. Fastify here
 * because these are control-plane calls with bodies to validate; the proxy path is untouched.
 *
 * @example
 * ```ts
 * const app = await createPublicIdentityApp({ identity, logger });
 * createGateway({ ..., mounts: [{ paths: PUBLIC_IDENTITY_PATHS, handler: (req, res) => app.routing(req, res) }] });
 * ```
 */
export async function createPublicIdentityApp(options: {
  identity: Identity;
  logger: Logger;
  logins?: LoginObserver;
}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
    frameworkErrors: (error, request, reply) => {
      const id = requestIdFrom(request.headers['x-request-id']);
      reply.raw.setHeader('x-request-id', id);
      sendJson(
        reply.raw,
        400,
        JSON.stringify(fail(new PorticoError('VALIDATION_ERROR', `the URL is malformed (${error.code})`), id)),
      );
    },
  });
  installErrorHandling(app);
  installStrictJson(app);
  installFormParser(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Sign-in attempts are security events: one line each. Bodies only at debug, through the
  // logger's redaction of every secret field (a test greps the output for secrets).
  app.addHook('onResponse', async (request, reply) => {
    const body = (request.body ?? {}) as { tenant?: unknown; username?: unknown };
    // The path only: a query string may carry what a careless client put there (a token).
    const fields = { method: request.method, url: pathOf(request.url), status: reply.statusCode, ip: request.ip };
    request.log.info({ ...fields, tenant: body.tenant, username: body.username }, 'auth request');
    request.log.debug({ body: request.body }, 'auth request body');
    if (request.method === 'POST' && request.routeOptions.url === '/auth/login') {
      options.logins?.loginAnswered(reply.statusCode);
    }
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Portico public identity API', version: VERSION },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
  });
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['keys'], summary: 'Public keys that verify access tokens (JWKS)' } },
    async (_request, reply) => {
      // Short cache: a rotated key must reach verifiers well within the grace period.
      reply.header('cache-control', 'public, max-age=60');
      return options.identity.keyRing.jwks();
    },
  );
  await app.register(authRoutes, { identity: options.identity });
  await app.register(tokenRoute, { identity: options.identity });
  await app.ready();
  return app;
}
