import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathOf } from '@portico/sdk';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';
import type { Logger } from 'pino';
import type { PlatformHealth } from '../health/platform-health.js';
import { answerClientError } from '../http/client-error.js';
import { sendError, setHeaders } from '../http/envelope-response.js';
import { ObservedResponse } from '../http/observed-response.js';
import { requestIdFrom } from '../http/request-id.js';
import type { AccessLog } from '../observability/access-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { requestRecorder } from '../observability/request-recorder.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import type { RequestTrace, RequestTracer } from '../tracing/request-trace.js';
import type { DeclaredRoute, RouteCompiler } from './declared-routes/declared-route.js';
import { type DeclaredRouteSet, RouteConflictError } from './declared-routes/declared-route-set.js';
import { groupByMethodAndPath } from './declared-routes/route-conflicts.js';
import { type ChainOutcome, type PolicyChain, PolicyExchange, runChain } from './policies/index.js';
import { type ExchangeContext, ProxyExchange } from './proxy-exchange.js';
import type { RoutingTable, ServiceRoute } from './routing-table.js';

/**
 * A handler the public port serves besides the proxy, e.g. identity's `/auth/*` and
 * `/.well-known/jwks.json`. `paths` are find-my-way patterns.
 */
export interface PublicMount {
  paths: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** What the gateway needs. */
export interface GatewayOptions {
  table: RoutingTable;
  health: PlatformHealth;
  logger: Logger;
  /** Body limit and outlier detection, shared by every request. */
  exchange: ExchangeContext;
  maxHeaderBytes: number;
  /** Platform endpoints on the public port; matched before the default 404. */
  mounts?: PublicMount[];
  /** Routes declared in portico.yaml and through the admin API, and how their policy chains are compiled. */
  routes?: { set: DeclaredRouteSet; compile: RouteCompiler };
  /** Starts the spans of proxied requests; absent, tracing is off and the proxy does no tracing work. */
  tracer?: RequestTracer;
  /** Where requests are counted; absent, they are not. */
  metrics?: GatewayMetrics;
  /** One line per request; absent when access logging is off. */
  accessLog?: AccessLog;
}

/** The data plane: a `node:http` server that routes `/api/{service}/...` to live instances. */
export interface Gateway {
  readonly server: Server;
  /** Stops accepting, finishes in-flight requests (up to `graceMs`), closes connections. */
  close(graceMs: number): Promise<void>;
}

const API_PREFIX = '/api/';
/** The route of every `/api/...` request, as logs name it: the raw path is no route. */
const API_ROUTE = '/api/{service}';

/**
 * Creates the gateway server (not yet listening). The hot path is: find-my-way match, table
 * lookup, balancer pick, one dispatch to a keep-alive pool; no I/O besides the forward itself.
 *
 * @example
 * ```ts
 * const gateway = createGateway({ table, health, logger, limits, maxHeaderBytes: 16384 });
 * gateway.server.listen(8080);
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { table, health, exchange, tracer } = options;
  // Decided once: with tracing off, a request makes no span, context or trace object.
  const tracing = tracer !== undefined;
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const record = requestRecorder(options.metrics, options.accessLog);
  const platform = options.metrics?.platform;

  const proxy = (req: IncomingMessage, res: ServerResponse, params: { [k: string]: string | undefined }) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const service = params.service as string;
    const route = table.route(service);
    noteRoute(res, requestId, API_ROUTE, service, route?.metrics);
    const trace = tracing ? tracer.start(req, res, service, route !== undefined, requestId) : undefined;
    if (route === undefined) {
      if (service === '') {
        sendError(res, requestId, 'NOT_FOUND', `no route for ${req.method} ${pathOf(req.url)}`);
        return;
      }
      sendError(res, requestId, 'NOT_FOUND', `service ${service} is not registered`);
      return;
    }
    dispatch(req, res, route, route.chain, restOf(req.url as string), requestId, trace);
  };
  /** Requests on a declared route's path: the first route (by precedence) that takes the host. */
  const declared = (req: IncomingMessage, res: ServerResponse, candidates: readonly DeclaredRoute[]) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const host = req.headers.host;
    let picked: DeclaredRoute | undefined;
    for (const candidate of candidates) {
      if (candidate.takesHost(host)) {
        picked = candidate;
        break;
      }
    }
    if (picked === undefined) {
      sendError(res, requestId, 'NOT_FOUND', `no route for ${req.method} ${pathOf(req.url)} on this host`);
      return;
    }
    const service = picked.spec.service;
    const route = table.route(service);
    noteRoute(res, requestId, picked.name, service, route?.metrics);
    const trace = tracing ? tracer.start(req, res, service, route !== undefined, requestId, picked.name) : undefined;
    if (route === undefined) {
      sendError(res, requestId, 'SERVICE_UNAVAILABLE', `route ${picked.name}: service ${service} has no instances`);
      return;
    }
    const chain = picked.chainFor(route, compileRoute);
    dispatch(req, res, route, chain, picked.forwardedPath(req.url as string), requestId, trace);
  };
  const dispatch = (
    req: IncomingMessage,
    res: ServerResponse,
    route: ServiceRoute,
    chain: PolicyChain | undefined,
    rest: string,
    requestId: string,
    trace: RequestTrace | undefined,
  ) => {
    if (chain === undefined) {
      new ProxyExchange(req, res, route, rest, requestId, exchange, undefined, trace).start();
      return;
    }
    const policed = new PolicyExchange(req, res, route, chain, rest, requestId);
    if (trace !== undefined) policed.trace = trace;
    runChain(policed, outcome);
  };
  // One set of callbacks for every request: the chain allocates nothing per request itself.
  const outcome: ChainOutcome = {
    pass: (policed) => {
      noteCaller(policed);
      const { req, res, route, rest, requestId, forward, trace, answer } = policed;
      new ProxyExchange(req, res, route, rest, requestId, exchange, forward, trace, answer).start();
    },
    deny: (policed, denial) => {
      noteCaller(policed);
      setHeaders(policed.res, policed.answer);
      setHeaders(policed.res, denial.headers);
      sendError(policed.res, policed.requestId, denial.code, denial.message, denial.details);
    },
    fail: (policed, error) => {
      setHeaders(policed.res, policed.answer);
      options.logger.error({ err: error, requestId: policed.requestId }, 'gateway policy failed');
      sendError(policed.res, policed.requestId, 'INTERNAL_ERROR', 'the gateway could not check this request');
    },
  };

  /**
   * The router for the gateway's own paths and the declared routes. Built again whenever the
   * routes change (rarely), and swapped whole, so a request never sees half a change. Throws
   * `RouteConflictError` when a declared route would take a path the gateway serves itself.
   */
  const buildRouter = (routes: readonly DeclaredRoute[]) => {
    const router = FindMyWay<HTTPVersion.V1>({
      defaultRoute: (req, res) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        sendError(res, id, 'NOT_FOUND', `no route for ${req.method} ${pathOf(req.url)}`);
      },
      onBadUrl: (_path, req, res) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        sendError(res, id, 'VALIDATION_ERROR', 'the URL is malformed');
      },
    });
    router.all('/api/:service', proxy);
    router.all('/api/:service/*', proxy);
    for (const mount of options.mounts ?? []) {
      for (const path of mount.paths) {
        router.all(path, (req, res) => {
          // The mounted app reads the id from the header: the same one then reaches the access line.
          const requestId = requestIdFrom(req.headers['x-request-id']);
          req.headers['x-request-id'] = requestId;
          noteRoute(res, requestId, path, undefined, platform);
          mount.handler(req, res);
        });
      }
    }
    for (const path of ['/health', '/livez', '/readyz']) {
      router.on(['GET', 'HEAD'], path, (req, res) => {
        const requestId = requestIdFrom(req.headers['x-request-id']);
        noteRoute(res, requestId, path, undefined, platform);
        health.answer(pathOf(req.url), res, requestId);
      });
    }
    for (const { method, path, candidates } of groupByMethodAndPath(routes)) {
      try {
        router.on(method as HTTPMethod, path, (req, res) => declared(req, res, candidates));
      } catch (error) {
        throw new RouteConflictError(
          `route "${(candidates[0] as DeclaredRoute).name}": ${method} ${path} is served by the gateway itself (${(error as Error).message})`,
        );
      }
    }
    return router;
  };
  const declaredRoutes = options.routes?.set;
  const compileRoute: RouteCompiler = options.routes?.compile ?? (() => undefined);
  let router = buildRouter(declaredRoutes?.list() ?? []);
  declaredRoutes?.setCheck((routes) => buildRouter(routes));
  declaredRoutes?.onChange(() => {
    router = buildRouter(declaredRoutes.list());
  });

  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes,
      keepAliveTimeout: 30_000,
      headersTimeout: 60_000,
      // Bodies stream through and are bounded by maxBodyBytes; a whole-request deadline would
      // cut a large upload or a long download off mid-way.
      requestTimeout: 0,
      // Every response carries what its access line and metrics need (see ObservedResponse).
      ServerResponse: ObservedResponse,
    },
    (req, res) => {
      inFlight++;
      res.once('close', onFinished);
      if (closing) res.setHeader('connection', 'close');
      router.lookup(req, res);
    },
  );
  server.on('clientError', answerClientError);

  function onFinished(this: ObservedResponse): void {
    this.exchange?.onClientClose();
    inFlight--;
    if (inFlight === 0) idle?.();
    record(this);
  }

  return {
    server,
    async close(graceMs) {
      closing = true;
      health.markShuttingDown();
      server.close();
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
    },
  };
}

/** What the access line and metrics learn from routing; `metrics` undefined counts as unknown. */
function noteRoute(
  res: ServerResponse,
  requestId: string,
  route: string,
  service: string | undefined,
  metrics: ServiceMetrics | undefined,
): void {
  const seen = res as ObservedResponse;
  seen.requestId = requestId;
  seen.route = route;
  seen.service = service;
  seen.metrics = metrics;
}

/** The tenant and principal the policies found, for the access line. */
function noteCaller(policed: PolicyExchange): void {
  const seen = policed.res as ObservedResponse;
  seen.tenant = policed.tenant?.name ?? policed.principal?.tenant;
  seen.user = policed.principal?.subject;
}

/** The path after `/api/{service}`, query included, as the caller sent it (still encoded). */
function restOf(url: string): string {
  const slash = url.indexOf('/', API_PREFIX.length);
  const query = url.indexOf('?', API_PREFIX.length);
  if (slash === -1 || (query !== -1 && query < slash)) return query === -1 ? '/' : `/${url.slice(query)}`;
  return url.slice(slash);
}
