import { Transform } from 'node:stream';
import type { BusPort } from '@portico/sdk';
import { fail, ok, PorticoError } from '@portico/sdk';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { BusMetrics } from '../bus/bus-metrics.js';
import { busAdminRoutes } from '../bus/http/admin-routes.js';
import { busConsumeRoutes } from '../bus/http/consume-routes.js';
import type { ConsumeLimits } from '../bus/http/consume-sessions.js';
import { busPublishRoute } from '../bus/http/publish-route.js';
import { type ConsoleOptions, mountConsole } from '../console/mount-console.js';
import { declaredRouteRoutes } from '../gateway/declared-routes/admin-routes.js';
import type { DeclaredRouteSet } from '../gateway/declared-routes/declared-route-set.js';
import type { PlatformHealth } from '../health/platform-health.js';
import { answerClientError } from '../http/client-error.js';
import { sendJson } from '../http/envelope-response.js';
import { requestIdFrom } from '../http/request-id.js';
import { identityAdminRoutes } from '../identity/http/admin-routes.js';
import { identityWatchRoutes } from '../identity/http/identity-watch-routes.js';
import type { Identity } from '../identity/identity.js';
import type { InProcessIdentityPort } from '../identity/in-process-port.js';
import { realtimeAdminRoutes } from '../realtime/admin-routes.js';
import type { HubAdminSource } from '../realtime/hub-admin-api.js';
import type { RegistrationAuth } from '../registry/registration-auth.js';
import type { RegistryPort } from '../registry/registry-port.js';
import { registryRoutes } from '../registry/routes.js';
import { docsRoutes, registerOpenApi } from './docs.js';
import { installErrorHandling } from './error-handler.js';
import { type MetricsText, metricsRoute } from './metrics-route.js';
import { REQUEST_AJV_OPTIONS } from './request-validation.js';
import { STATUS_PATH } from './status-route.js';

/** What the admin port serves. */
export interface AdminServerOptions {
  logger: Logger;
  health: PlatformHealth;
  /** Served under /v1/registry when this process holds the registry. */
  registry?: RegistryPort;
  maxTtlSeconds: number;
  /** Largest OpenAPI document an instance may register (docs/openapi.md). */
  maxOpenApiBytes?: number;
  /** Who may write the registry (docs/registry.md, registration credentials). */
  registrationAuth?: RegistrationAuth;
  /** The platform's `clusterSecret`: lets gateways publish assertion keys to this registry over HTTP. */
  assertionKeySecret?: string;
  /** Largest JSON body the admin API accepts. */
  bodyLimit?: number;
  /** The process's metrics, served at /metrics (Prometheus text). */
  metrics?: MetricsText;
  /** This process's gateway state, served at /v1/gateway/services when it runs a gateway. */
  gatewayView?: () => unknown;
  /** This process's view of the cluster, served at /v1/status (`portico status`). */
  status?: () => Promise<unknown>;
  /** This process's gateway's declared routes, served at /v1/gateway/routes. */
  routes?: DeclaredRouteSet;
  /** Served under /v1/admin when this process holds identity. */
  identity?: Identity;
  /** Identity's watch for gateways in other processes, under /v1/identity. */
  identityWatch?: { port: InProcessIdentityPort; secret: string };
  /** The public port's OpenAPI document, shown beside the admin one at /docs. */
  publicDocument?: () => unknown;
  /** The web console at /console (docs/console.md); absent = not served. */
  console?: ConsoleOptions;
  /** More route sets of components that live with identity (the config center), registered last. */
  plugins?: ((app: FastifyInstance) => Promise<unknown>)[];
  /** The bus services publish to at /v1/bus (docs/bus.md); needs `identity` to check callers. */
  bus?: BusPort;
  /** Bounds and metrics of the bus consume API at /v1/bus/consumers; absent = not served. */
  busConsume?: { limits: ConsumeLimits; metrics?: BusMetrics };
  /** This process's realtime hub, described at /v1/realtime (docs/realtime.md). */
  realtime?: HubAdminSource;
}

/**
 * The admin (control-plane) app: registry API, probes, and later identity and the console.
 * Fastify, because here schemas and clear errors matter more than the last microsecond.
 *
 * @example
 * ```ts
 * const app = await createAdminServer({ logger, health, registry, maxTtlSeconds: 3600 });
 * await app.listen({ port: 9080, host: '127.0.0.1' }); // listen through Fastify, so close() ends connections
 * ```
 */
export async function createAdminServer(options: AdminServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Heartbeats arrive every few seconds from every instance: request lines would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // Admin calls are short and watch streams resume elsewhere: at close, end every connection
    // rather than wait out clients that keep theirs open.
    forceCloseConnections: true,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    // Shared with the lean admin server, so both refuse the same bodies with the same details.
    ajv: { customOptions: { ...REQUEST_AJV_OPTIONS } },
    clientErrorHandler: answerClientError,
    // Instance ids may have 128 characters; find-my-way's default of 100 rejects longer ones as a bad URL.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) => {
      const id = requestIdFrom(request.headers['x-request-id']);
      const mapped = new PorticoError('VALIDATION_ERROR', `the URL is malformed (${error.code})`);
      reply.raw.setHeader('x-request-id', id);
      sendJson(reply.raw, 400, JSON.stringify(fail(mapped, id)));
    },
  });
  installErrorHandling(app);
  // JSON only: any other body is 415, not a string that then fails validation as "must be object".
  app.removeContentTypeParser('text/plain');
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  // Refuse an announced oversized body before reading it: Node discards it and the client reads
  // the 413, instead of a reset connection under its upload (Fastify closes without draining).
  app.addHook('onRequest', async (request, reply) => {
    if (Number(request.headers['content-length']) > bodyLimit) {
      reply.header('x-request-id', request.id);
      const error = new PorticoError('PAYLOAD_TOO_LARGE', 'the body is larger than the limit');
      return reply.code(413).send(fail(error, request.id));
    }
  });
  // A chunked body over the limit is read to its end (bounded) before the 413, for the same reason.
  app.addHook('preParsing', async (_request, _reply, payload) => drainPastLimit(payload, bodyLimit));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await registerOpenApi(app);
  docsRoutes(app, options.publicDocument);
  for (const path of ['/health', '/livez', '/readyz']) {
    app.get(path, (request, reply) => {
      reply.hijack();
      options.health.answer(path, reply.raw, request.id);
    });
  }
  if (options.console) mountConsole(app, options.console, options.identity);
  if (options.metrics) metricsRoute(app, options.metrics);
  const { gatewayView } = options;
  if (gatewayView) app.get('/v1/gateway/services', async (request) => ok(gatewayView(), request.id));
  const { status } = options;
  if (status) app.get(STATUS_PATH, async (request) => ok(await status(), request.id));
  if (options.routes) await app.register(declaredRouteRoutes, { routes: options.routes });
  if (options.realtime) await app.register(realtimeAdminRoutes, options.realtime);
  if (options.registry) {
    await app.register(registryRoutes, {
      registry: options.registry,
      maxTtlSeconds: options.maxTtlSeconds,
      ...(options.maxOpenApiBytes ? { maxOpenApiBytes: options.maxOpenApiBytes } : {}),
      ...(options.registrationAuth ? { auth: options.registrationAuth } : {}),
      assertionKeySecret: options.assertionKeySecret ?? '',
    });
  }
  if (options.identity) await app.register(identityAdminRoutes, { identity: options.identity });
  if (options.identityWatch) await app.register(identityWatchRoutes, options.identityWatch);
  if (options.bus && options.identity) {
    await app.register(busPublishRoute, { bus: options.bus, identity: options.identity });
    await app.register(busAdminRoutes, { bus: options.bus, identity: options.identity });
    if (options.busConsume)
      await app.register(busConsumeRoutes, { bus: options.bus, identity: options.identity, ...options.busConsume });
  }
  for (const plugin of options.plugins ?? []) await plugin(app);
  return app;
}

/** Passes a body up to `limit`; past it, discards the rest (up to 64 MiB more) and fails with 413 at the end. */
function drainPastLimit(payload: NodeJS.ReadableStream, limit: number): NodeJS.ReadableStream {
  let seen = 0;
  const tooLarge = () =>
    Object.assign(new Error('the body is larger than the limit'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
  return payload.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen > limit + 64 * 1024 * 1024) callback(tooLarge());
        else callback(null, seen > limit ? undefined : chunk);
      },
      flush(callback) {
        callback(seen > limit ? tooLarge() : null);
      },
    }),
  );
}
