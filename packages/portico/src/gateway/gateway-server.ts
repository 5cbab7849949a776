import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { PorticoError, pathOf } from '@portico/sdk';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';
import type { Logger } from 'pino';
import type { PlatformHealth } from '../health/platform-health.js';
import { errorEnvelopeText, sendError, setHeaders } from '../http/envelope-response.js';
import type { GatewayRequest, GatewayResponse } from '../http/gateway-message.js';
import { ObservedResponse, type ResponseRecord } from '../http/observed-response.js';
import { requestIdFrom } from '../http/request-id.js';
import type { AccessLog } from '../observability/access-log.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { requestRecorder } from '../observability/request-recorder.js';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import type { RequestTrace, RequestTracer } from '../tracing/request-trace.js';
import type { DeclaredRoute, RouteCompiler } from './declared-routes/declared-route.js';
import { type DeclaredRouteSet, RouteConflictError } from './declared-routes/declared-route-set.js';
import { groupByMethodAndPath } from './declared-routes/route-conflicts.js';
import { Http1Server } from './http1/http1-server.js';
import { answered, owe, refuseInOrder, refusing } from './http1/ordered-refusal.js';
import { routeTarget } from './http1/request-target.js';
import { type ChainOutcome, type PolicyChain, PolicyExchange, runChain } from './policies/index.js';
import { type ExchangeContext, ProxyExchange } from './proxy-exchange.js';
import type { RoutingTable, ServiceRoute } from './routing-table.js';
import { proxyWebSocket } from './websocket-proxy/websocket-proxy.js';

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
  /**
   * Takes `Upgrade` requests (the realtime hub, the WebSocket proxy): true when one of them took
   * the socket. Absent, or false, the upgrade answers a 404 envelope. Never on the request path.
   */
  upgrade?: UpgradeHandler;
}

/** Takes an upgrade request and its socket; false when it is not for this handler. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/**
 * The data plane: a server that routes `/api/{service}/...` to live instances — the gateway's own
 * HTTP/1.1 server for requests without a body, node:http for the rest (see {@link Http1Server}).
 */
export interface Gateway {
  readonly server: Server;
  /** Requests answered so far: how the idle collector sees the gateway at work. */
  requestsSettled(): number;
  /** Requests in progress. */
  inFlight(): number;
  /** Stops accepting, finishes in-flight requests (up to `graceMs`), closes connections. */
  close(graceMs: number): Promise<void>;
}

const API_PREFIX = '/api/';
const KEEP_ALIVE_SECONDS = 30;
const HEADERS_TIMEOUT_MS = 60_000;
/** The route of every `/api/...` request, as logs name it: the raw path is no route. */
const API_ROUTE = '/api/{service}';
/** The router's store for the paths the gateway's own server serves; the others are node:http's. */
const OWN = Object.freeze({ own: true });
/** Route parameters as find-my-way gives them. */
type Params = { [k: string]: string | undefined };

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
  let settledCount = 0;
  let idle: (() => void) | undefined;
  const record = requestRecorder(options.metrics, options.accessLog);
  const platform = options.metrics?.platform;

  const proxy = (req: GatewayRequest, res: GatewayResponse, params: Params) => {
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
  const declared = (req: GatewayRequest, res: GatewayResponse, candidates: readonly DeclaredRoute[]) => {
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
    req: GatewayRequest,
    res: GatewayResponse,
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
      const { req, res, route, rest, requestId, forward, trace, answer, stripped } = policed;
      new ProxyExchange(req, res, route, rest, requestId, exchange, forward, trace, answer, stripped).start();
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
      defaultRoute: notFound,
      onBadUrl: (_path, req, res) => {
        const id = requestIdFrom(req.headers['x-request-id']);
        sendError(res, id, 'VALIDATION_ERROR', 'the URL is malformed');
      },
    });
    router.all('/api/:service', proxy, OWN);
    router.all('/api/:service/*', proxy, OWN);
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
      const answer = (req: GatewayRequest, res: GatewayResponse) => {
        const requestId = requestIdFrom(req.headers['x-request-id']);
        noteRoute(res, requestId, path, undefined, platform);
        health.answer(pathOf(req.url), res, requestId);
      };
      router.on(['GET', 'HEAD'], path, answer, OWN);
    }
    for (const { method, path, candidates } of groupByMethodAndPath(routes)) {
      try {
        router.on(method as HTTPMethod, path, (req, res) => declared(req, res, candidates), OWN);
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

  // node:http serves what the gateway's own server hands over: bodies, upgrades, mounted apps.
  const fallback = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes,
      keepAliveTimeout: KEEP_ALIVE_SECONDS * 1000,
      headersTimeout: HEADERS_TIMEOUT_MS,
      // Bodies stream through and are bounded by maxBodyBytes; a whole-request deadline would
      // cut a large upload or a long download off mid-way.
      requestTimeout: 0,
      // Every response carries what its access line and metrics need (see ObservedResponse).
      ServerResponse: ObservedResponse,
    },
    (req, res) => {
      // A request read after its connection's refusal, or whose target cannot be routed: refused
      // in order, unrouted (routeTarget also merges slashes and makes absolute-form origin-form).
      const url = refusing(req.socket) ? undefined : routeTarget(req.url as string, req.headers);
      if (url === undefined) {
        refuseInOrder({ code: 'BAD_REQUEST' }, req.socket);
        return;
      }
      req.url = url;
      owe(req);
      inFlight++;
      res.once('close', onNodeResponseClosed);
      if (closing) res.setHeader('connection', 'close');
      router.lookup(req, res);
    },
  );
  fallback.on('clientError', refuseInOrder);
  fallback.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    if (!closing && url.startsWith(API_PREFIX)) {
      const end = url.slice(API_PREFIX.length).search(/[/?]/);
      const service = end === -1 ? url.slice(API_PREFIX.length) : url.slice(API_PREFIX.length, API_PREFIX.length + end);
      proxyWebSocket(req, socket, head, service, restOf(url), table, options.logger);
      return;
    }
    if (closing || options.upgrade?.(req, socket, head) !== true) refuseUpgrade(socket, 'NOT_FOUND', req.url);
  });
  const own = new Http1Server({
    maxHeaderBytes: options.maxHeaderBytes,
    keepAliveTimeoutSeconds: KEEP_ALIVE_SECONDS,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    fallback,
    serve(req, res) {
      const found = router.find(req.method as HTTPMethod, req.url);
      if (found === null) {
        inFlight++;
        notFound(req, res);
        return true;
      }
      if (found.store !== OWN) return false;
      inFlight++;
      // The handlers take the gateway's request and response shapes (GatewayRequest/Response);
      // find-my-way's types name node:http's only.
      found.handler(
        req as unknown as IncomingMessage,
        res as unknown as ServerResponse,
        found.params,
        found.store,
        found.searchParams,
      );
      return true;
    },
    closed: settled,
  });

  function settled(res: ResponseRecord): void {
    res.exchange?.onClientClose();
    inFlight--;
    settledCount++;
    if (inFlight === 0) idle?.();
    record(res);
  }
  // One close listener per node:http request does both: the gateway's count and the socket's owed answers.
  function onNodeResponseClosed(this: ObservedResponse): void {
    settled(this);
    answered(this.req.socket);
  }

  return {
    server: own.server,
    requestsSettled: () => settledCount,
    inFlight: () => inFlight,
    async close(graceMs) {
      closing = true;
      health.markShuttingDown();
      own.close();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      own.closeAll();
    },
  };
}

/** An upgrade nobody took: a 404 envelope on the raw socket, then close (no switch of protocols). */
function refuseUpgrade(socket: Duplex, code: 'NOT_FOUND', url: string | undefined): void {
  const error = new PorticoError(code, `no WebSocket endpoint at ${pathOf(url ?? '/')}`);
  const body = errorEnvelopeText(error, randomUUID());
  socket.end(
    `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A path no route takes, on either server: the access line names the request, not the path. */
function notFound(req: GatewayRequest, res: GatewayResponse): void {
  const id = requestIdFrom(req.headers['x-request-id']);
  noteRoute(res, id, 'unknown', undefined, undefined);
  sendError(res, id, 'NOT_FOUND', `no route for ${req.method} ${pathOf(req.url)}`);
}

/** What the access line and metrics learn from routing; `metrics` undefined counts as unknown. */
function noteRoute(
  res: GatewayResponse,
  requestId: string,
  route: string,
  service: string | undefined,
  metrics: ServiceMetrics | undefined,
): void {
  const seen = res as ResponseRecord;
  seen.requestId = requestId;
  seen.route = route;
  seen.service = service;
  seen.metrics = metrics;
}

/** The tenant and principal the policies found, for the access line. */
function noteCaller(policed: PolicyExchange): void {
  const seen = policed.res as ResponseRecord;
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
