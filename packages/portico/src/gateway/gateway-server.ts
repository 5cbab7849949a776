import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import type { Logger } from 'pino';
import type { PlatformHealth } from '../health/platform-health.js';
import { answerClientError } from '../http/client-error.js';
import { sendError } from '../http/envelope-response.js';
import { requestIdFrom } from '../http/request-id.js';
import { type ChainOutcome, PolicyExchange, runChain } from './policies/index.js';
import { type ExchangeContext, ProxyExchange } from './proxy-exchange.js';
import type { RoutingTable } from './routing-table.js';

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
}

/** The data plane: a `node:http` server that routes `/api/{service}/...` to live instances. */
export interface Gateway {
  readonly server: Server;
  /** Stops accepting, finishes in-flight requests (up to `graceMs`), closes connections. */
  close(graceMs: number): Promise<void>;
}

const API_PREFIX = '/api/';

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
  const { table, health, exchange } = options;
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

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

  const proxy = (req: IncomingMessage, res: ServerResponse, params: { [k: string]: string | undefined }) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const service = params.service as string;
    const route = table.route(service);
    if (route === undefined) {
      if (service === '') {
        sendError(res, requestId, 'NOT_FOUND', `no route for ${req.method} ${pathOf(req.url)}`);
        return;
      }
      sendError(res, requestId, 'NOT_FOUND', `service ${service} is not registered`);
      return;
    }
    const chain = route.chain;
    if (chain === undefined) {
      new ProxyExchange(req, res, route, restOf(req.url as string), requestId, exchange).start();
      return;
    }
    runChain(new PolicyExchange(req, res, route, chain, restOf(req.url as string), requestId), outcome);
  };
  // One set of callbacks for every request: the chain allocates nothing per request itself.
  const outcome: ChainOutcome = {
    pass: (policed) => {
      const { req, res, route, rest, requestId, forward } = policed;
      new ProxyExchange(req, res, route, rest, requestId, exchange, forward).start();
    },
    deny: (policed, denial) => {
      if (denial.headers)
        for (const name in denial.headers) policed.res.setHeader(name, denial.headers[name] as string);
      sendError(policed.res, policed.requestId, denial.code, denial.message);
    },
    fail: (policed, error) => {
      options.logger.error({ err: error, requestId: policed.requestId }, 'gateway policy failed');
      sendError(policed.res, policed.requestId, 'INTERNAL_ERROR', 'the gateway could not check this request');
    },
  };
  router.all('/api/:service', proxy);
  router.all('/api/:service/*', proxy);
  for (const mount of options.mounts ?? []) {
    for (const path of mount.paths) router.all(path, (req, res) => mount.handler(req, res));
  }
  for (const path of ['/health', '/livez', '/readyz']) {
    router.on(['GET', 'HEAD'], path, (req, res) =>
      health.answer(pathOf(req.url), res, requestIdFrom(req.headers['x-request-id'])),
    );
  }

  const server = createServer(
    {
      maxHeaderSize: options.maxHeaderBytes,
      keepAliveTimeout: 30_000,
      headersTimeout: 60_000,
      // Bodies stream through and are bounded by maxBodyBytes; a whole-request deadline would
      // cut a large upload or a long download off mid-way.
      requestTimeout: 0,
    },
    (req, res) => {
      inFlight++;
      res.once('close', onFinished);
      if (closing) res.setHeader('connection', 'close');
      router.lookup(req, res);
    },
  );
  server.on('clientError', answerClientError);

  function onFinished(): void {
    inFlight--;
    if (inFlight === 0) idle?.();
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

/** The path after `/api/{service}`, query included, as the caller sent it (still encoded). */
function restOf(url: string): string {
  const slash = url.indexOf('/', API_PREFIX.length);
  const query = url.indexOf('?', API_PREFIX.length);
  if (slash === -1 || (query !== -1 && query < slash)) return query === -1 ? '/' : `/${url.slice(query)}`;
  return url.slice(slash);
}

function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
