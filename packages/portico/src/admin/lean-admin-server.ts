import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fail, ok, PorticoError } from '@portico/sdk';
import { Ajv, type ValidateFunction } from 'ajv';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';
import type { Logger } from 'pino';
import type { DeclaredRouteSet } from '../gateway/declared-routes/declared-route-set.js';
import { RouteBody, RouteNameParams, routeApi } from '../gateway/declared-routes/route-api.js';
import type { PlatformHealth } from '../health/platform-health.js';
import { answerClientError } from '../http/client-error.js';
import { sendJson } from '../http/envelope-response.js';
import { requestIdFrom } from '../http/request-id.js';
import { hubAdminOperations } from '../realtime/admin-routes.js';
import type { HubAdminSource } from '../realtime/hub-admin-api.js';
import type { AdminPort } from './admin-port.js';
import { BodyError, readJsonBody } from './json-body.js';
import { type MetricsText, metricsHeaders } from './metrics-route.js';
import { REQUEST_AJV_OPTIONS, requestProblem, validationError } from './request-validation.js';
import { STATUS_PATH } from './status-route.js';

/** What the admin port of a gateway-only process serves. */
export interface LeanAdminOptions {
  logger: Logger;
  health: PlatformHealth;
  /** Largest JSON body accepted; default 1 MiB, as the full admin app. */
  bodyLimit?: number;
  /** The process's metrics, served at /metrics (Prometheus text). */
  metrics?: MetricsText;
  /** This gateway's state, served at /v1/gateway/services. */
  gatewayView?: () => unknown;
  /** This process's view of the cluster, served at /v1/status (`portico status`). */
  status?: () => Promise<unknown>;
  /** This gateway's declared routes, served at /v1/gateway/routes. */
  routes?: DeclaredRouteSet;
  /** This gateway's realtime hub, described at /v1/realtime (docs/realtime.md). */
  realtime?: HubAdminSource;
}

/** One request, once routed and checked. */
interface AdminCall {
  req: IncomingMessage;
  res: ServerResponse;
  id: string;
  params: Record<string, string | undefined>;
  body: unknown;
}

/** An envelope to send, or nothing when the handler answered itself (probes, metrics). */
type Handler = (call: AdminCall) => Promise<{ status: number; body: unknown } | undefined>;

interface Route {
  handler: Handler;
  params?: ValidateFunction;
  body?: ValidateFunction;
}

/**
 * The admin port of a gateway-only process (`portico start gateway`): probes, `/metrics`,
 * `/v1/gateway/services` and `/v1/gateway/routes`, on node:http and find-my-way. Such a process
 * holds neither the registry nor identity, so the full admin app (Fastify, its validator
 * compiler, OpenAPI documents) would be most of its memory for five routes. It answers as the
 * full app does (the same envelopes, error codes, validation details, 404/413/415 and bad-URL
 * answers), because the work is done by the same functions: `routeApi`, `PlatformHealth`, the
 * request schemas checked with `REQUEST_AJV_OPTIONS`. It serves no `/docs`.
 *
 * @example
 * ```ts
 * const admin = createLeanAdminServer({ logger, health, metrics: () => metrics.text(), routes });
 * await admin.listen({ port: 9080, host: '127.0.0.1' });
 * ```
 */
export function createLeanAdminServer(options: LeanAdminOptions): AdminPort {
  const { logger, health } = options;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const router = FindMyWay<HTTPVersion.V1>({
    // As the full app: instance ids may have 128 characters.
    maxParamLength: 256,
    onBadUrl: (_path, req, res) => badUrl(req, res, 'FST_ERR_BAD_URL'),
    onMaxParamLength: (_path, req, res) => badUrl(req, res, 'FST_ERR_MAX_PARAM_LENGTH'),
  });
  const add = (method: HTTPMethod, path: string, route: Route) => {
    router.on(method, path, () => undefined, route);
    // As Fastify's `exposeHeadRoutes`: HEAD answers what GET would, without the body.
    if (method === 'GET') router.on('HEAD', path, () => undefined, route);
  };

  for (const path of ['/health', '/livez', '/readyz']) {
    add('GET', path, { handler: async ({ res, id }) => void health.answer(path, res, id) });
  }
  const { metrics, gatewayView, routes, status } = options;
  if (metrics) {
    add('GET', '/metrics', {
      async handler({ res }) {
        const { contentType, body } = await metrics();
        res.writeHead(200, { ...metricsHeaders(contentType), 'content-length': Buffer.byteLength(body) }).end(body);
        return undefined;
      },
    });
  }
  if (gatewayView) add('GET', '/v1/gateway/services', { handler: async ({ id }) => answer(ok(gatewayView(), id)) });
  if (routes) addRouteApi(add, routes);
  for (const op of options.realtime ? hubAdminOperations(options.realtime) : []) {
    add('GET', op.path, { handler: async ({ req, id }) => answer(ok(await op.run(req.headers), id)) });
  }
  if (status) add('GET', STATUS_PATH, { handler: async ({ id }) => answer(ok(await status(), id)) });

  const server = createServer({ keepAliveTimeout: 72_000, requestTimeout: 0 }, (req, res) => {
    const found = router.find(req.method as HTTPMethod, req.url ?? '/');
    // find-my-way's own answers to a malformed URL or an overlong parameter.
    if (found !== null && found.store === null) {
      found.handler(req, res, found.params, undefined, found.searchParams);
      return;
    }
    const id = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', id);
    serve(req, res, id, found?.store as Route | undefined, found?.params ?? {}).catch((error: unknown) => {
      if (error instanceof BodyError && error.abandoned) res.setHeader('connection', 'close');
      const known = error instanceof BodyError ? error.error : error instanceof PorticoError ? error : undefined;
      if (known === undefined) logger.error({ err: error }, 'unhandled error');
      const sent = known ?? new PorticoError('INTERNAL_ERROR', 'an unexpected error occurred');
      sendJson(res, sent.status, JSON.stringify(fail(sent, id)));
    });
  });
  server.on('clientError', answerClientError);

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    route: Route | undefined,
    params: AdminCall['params'],
  ): Promise<void> {
    // Refused before reading, for a known route or not: the client reads the 413, not a reset.
    if (Number(req.headers['content-length']) > bodyLimit) throw requestProblem('FST_ERR_CTP_BODY_TOO_LARGE');
    if (route === undefined) {
      throw new PorticoError('NOT_FOUND', `no route for ${req.method} ${(req.url ?? '/').split('?')[0]}`);
    }
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readJsonBody(req, bodyLimit);
    if (route.params && !route.params(params)) throw validationError('params', route.params.errors ?? []);
    if (route.body && !route.body(body)) throw validationError('body', route.body.errors ?? []);
    const result = await route.handler({ req, res, id, params, body });
    if (result) sendJson(res, result.status, JSON.stringify(result.body));
  }

  return {
    server,
    listen({ port, host }) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(undefined);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
    },
  };
}

/** `/v1/gateway/routes`: the same operations and schemas as the full app's `declaredRouteRoutes`. */
function addRouteApi(add: (method: HTTPMethod, path: string, route: Route) => void, routes: DeclaredRouteSet): void {
  const api = routeApi(routes);
  const ajv = new Ajv(REQUEST_AJV_OPTIONS);
  const params = ajv.compile(RouteNameParams);
  const nameOf = (call: AdminCall) => call.params.name as string;
  add('GET', '/v1/gateway/routes', { handler: async ({ id }) => answer(ok(api.list(), id)) });
  add('GET', '/v1/gateway/routes/:name', {
    params,
    handler: async (call) => answer(ok(api.get(nameOf(call)), call.id)),
  });
  add('PUT', '/v1/gateway/routes/:name', {
    params,
    body: ajv.compile(RouteBody),
    async handler(call) {
      const { created, route } = api.put(nameOf(call), call.body as RouteBody);
      return answer(ok(route, call.id), created ? 201 : 200);
    },
  });
  add('DELETE', '/v1/gateway/routes/:name', {
    params,
    handler: async (call) => answer(ok(api.delete(nameOf(call)), call.id)),
  });
}

function answer(body: unknown, status = 200) {
  return { status, body };
}

/** As the full app's `frameworkErrors`: 400 with the problem's code in the message. */
function badUrl(req: IncomingMessage, res: ServerResponse, code: string): void {
  const id = requestIdFrom(req.headers['x-request-id']);
  const error = new PorticoError('VALIDATION_ERROR', `the URL is malformed (${code})`);
  res.setHeader('x-request-id', id);
  sendJson(res, 400, JSON.stringify(fail(error, id)));
}
