import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceClient } from './client/service-client.js';
import type { ServiceClient, ServiceClientOptions } from './client/types.js';
import { fail } from './envelope.js';
import { PorticoError } from './errors.js';
import { type HealthCheck, healthHttpStatus, healthReport } from './health.js';
import { attachCaller, type Caller } from './identity/caller.js';
import { CallerGuard } from './identity/caller-guard.js';
import { Registration } from './registration.js';
import type { AuthMode, EndpointSpec, HealthCheckSpec, OpenApiDocument } from './registry-types.js';
import { tracedHandler } from './tracing/server-span.js';
import { pathOf } from './url-path.js';

/** A minimal logger; `console` fits, and so does a pino logger. */
export interface ServiceLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What {@link serve} needs to run a service. */
export interface ServeOptions {
  /** Service name, a lowercase DNS label: callers reach it at `/api/{service}/...`. */
  service: string;
  /** The service's request handler; may be async and may throw a `PorticoError`. */
  handler: (req: IncomingMessage, res: ServerResponse) => unknown;
  /** Registry base URL; default `PORTICO_REGISTRY_URL` or `http://127.0.0.1:9080`. */
  registry?: string;
  /** Key that proves this service to the registry; default `PORTICO_REGISTRATION_KEY` (docs/registry.md). */
  registrationKey?: string;
  /** Port to listen on; default `PORT` or 0 (an ephemeral port). */
  port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** Address the gateway should use to reach this instance; default the listen address (or 127.0.0.1 for a wildcard). */
  advertiseHost?: string;
  /** Stable instance id; default a generated `{service}-{random}`. */
  id?: string;
  basePath?: string;
  version?: string;
  tags?: string[];
  weight?: number;
  metadata?: Record<string, string>;
  auth?: AuthMode;
  endpoints?: EndpointSpec[];
  /** An active health check for the gateway to run against this instance (e.g. `{ path: '/health' }`). */
  healthCheck?: HealthCheckSpec;
  /**
   * The service's OpenAPI 3.x document (or a function that builds it, called once at start),
   * sent with the registration; the gateway serves every service's merged at `/openapi.json`
   * with paths under `/api/{service}` (docs/openapi.md). Self-contained: local `$ref`s only.
   */
  openapi?: OpenApiDocument | (() => OpenApiDocument);
  /** Heartbeat interval; default 10 s. */
  heartbeatSeconds?: number;
  /** Lease length; default three heartbeat intervals. */
  ttlSeconds?: number;
  /** Dependency checks reported by `/health`. */
  healthChecks?: Record<string, HealthCheck>;
  /** After deregistering, how long to keep serving while gateways learn of it; default 1 s. */
  propagationMs?: number;
  /** Longest wait for in-flight requests when draining; default 30 s. */
  graceMs?: number;
  /** Drain and exit on SIGTERM and SIGINT; default true. */
  handleSignals?: boolean;
  /**
   * The service's bus (`createBus`): on drain it stops fetching, lets in-flight handlers finish
   * within `graceMs` and nacks the rest, alongside the HTTP drain.
   */
  bus?: { drain(timeoutMs: number): Promise<unknown> };
  /**
   * Verify the gateway's identity assertion on every path that is not public, and refuse
   * requests without a valid one (401); default true. `false` is UNSAFE: anyone who can reach
   * the instance calls every path, and `callerOf()` is always undefined. For tests, or a service
   * that authenticates callers some other way.
   */
  verifyCallers?: boolean;
  logger?: ServiceLogger;
}

/** A service started by {@link serve}. */
export interface RunningService {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  readonly instanceId: string;
  /** Resolves once the registry has accepted the instance. */
  readonly registered: Promise<void>;
  /**
   * A client of another service, through this service's registry and logger; one per service
   * name (a second call with the same name returns the first client and ignores its options).
   * Closed once the service has drained: calls through it then fail with `SERVICE_UNAVAILABLE`.
   *
   * @example
   * ```ts
   * const orders = service.client('orders');
   * const order = await orders.get('/orders/42', { from: req });
   * ```
   */
  client(service: string, options?: ServiceClientOptions): ServiceClient;
  /** Drains: deregister, wait for propagation, finish in-flight requests, close. */
  close(): Promise<void>;
}

const running = new Set<RunningService>();
let signalsInstalled = false;

/**
 * Runs a service: listens, registers once listening, heartbeats (re-registering if the registry
 * forgot it), answers `/health`, `/livez` and `/readyz`, turns thrown `PorticoError`s into
 * envelopes and, on SIGTERM, drains without failing a request.
 *
 * @example
 * ```ts
 * import { serve, ok } from '@portico/sdk';
 * await serve({
 *   service: 'hello',
 *   handler: (req, res) => {
 *     res.setHeader('content-type', 'application/json');
 *     res.end(JSON.stringify(ok({ hello: 'world' }, String(req.headers['x-request-id'] ?? ''))));
 *   },
 * });
 * ```
 */
export async function serve(options: ServeOptions): Promise<RunningService> {
  const logger = options.logger ?? console;
  const startedAt = Date.now();
  const version = options.version ?? '0.0.0';
  const healthChecks = options.healthChecks ?? {};
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const probes = probePaths(options.basePath ?? '/');
  // A SERVER span per request when the application registered an OpenTelemetry SDK; else as is.
  const handler = tracedHandler(options.service, options.handler);
  const registryUrl = options.registry ?? process.env.PORTICO_REGISTRY_URL ?? 'http://127.0.0.1:9080';
  // Built from the same auth and endpoints the service registers, so it opens what the gateway opens.
  const guard =
    options.verifyCallers === false
      ? undefined
      : new CallerGuard({
          service: options.service,
          registryUrl,
          auth: options.auth ?? 'any',
          endpoints: options.endpoints ?? [],
          basePath: options.basePath ?? '/',
        });

  const runHandler = (req: IncomingMessage, res: ServerResponse, caller: Caller | undefined) => {
    if (caller !== undefined) attachCaller(req, caller);
    try {
      const result = handler(req, res);
      if (result instanceof Promise) result.catch((error: unknown) => answerError(error, req, res, logger));
    } catch (error) {
      answerError(error, req, res, logger);
    }
  };

  const onRequest: RequestListener = (req, res) => {
    const path = pathOf(req.url);
    if (draining) res.setHeader('connection', 'close');
    const probe = probes.get(path);
    if (probe !== undefined) {
      void answerProbe(probe, res);
      return;
    }
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    let caller: Caller | Promise<Caller> | undefined;
    try {
      caller = guard?.check(req);
    } catch (error) {
      answerError(error, req, res, logger);
      return;
    }
    // A known assertion answers at once; only a new one waits for its signature check.
    if (caller instanceof Promise) {
      caller.then(
        (verified) => runHandler(req, res, verified),
        (error: unknown) => answerError(error, req, res, logger),
      );
    } else {
      runHandler(req, res, caller);
    }
  };

  async function answerProbe(path: Probe, res: ServerResponse): Promise<void> {
    if (path === '/livez') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') return sendJson(res, draining ? 503 : 200, { status: draining ? 'draining' : 'ready' });
    const report = await healthReport(healthChecks, { version, startedAt });
    sendJson(res, healthHttpStatus(report.status), report);
  }

  const server = createServer(onRequest);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? Number(process.env.PORT ?? 0), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const advertiseHost = options.advertiseHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;

  const registration = new Registration({
    registryUrl,
    registrationKey: options.registrationKey ?? process.env.PORTICO_REGISTRATION_KEY,
    heartbeatMs: heartbeatSeconds * 1000,
    logger,
    registration: {
      id: options.id ?? `${options.service}-${randomUUID().slice(0, 8)}`,
      service: options.service,
      host: advertiseHost,
      port,
      basePath: options.basePath ?? '/',
      version,
      tags: options.tags ?? [],
      weight: options.weight ?? 1,
      metadata: options.metadata ?? {},
      auth: options.auth ?? 'any',
      endpoints: options.endpoints ?? [],
      ...(options.healthCheck ? { healthCheck: options.healthCheck } : {}),
      ...(options.openapi
        ? { openapi: typeof options.openapi === 'function' ? options.openapi() : options.openapi }
        : {}),
      ttlSeconds: options.ttlSeconds ?? Math.max(1, Math.ceil(heartbeatSeconds * 3)),
    },
  });
  registration.start();

  let closing: Promise<void> | undefined;
  const clients = new Map<string, ServiceClient>();
  let clientsClosed = false;
  const service: RunningService = {
    server,
    port,
    url: `http://${advertiseHost}:${port}`,
    instanceId: registration.id,
    registered: registration.registered,
    client(name, clientOptions) {
      let client = clients.get(name);
      if (!client) {
        client = createServiceClient(name, { registry: registryUrl, logger, ...clientOptions });
        clients.set(name, client);
        // Asked for after the drain: closed like the others, so it cannot keep a watch open.
        if (clientsClosed) void client.close();
      }
      return client;
    },
    close() {
      closing ??= drain();
      return closing;
    },
  };

  async function drain(): Promise<void> {
    draining = true;
    // Stops taking messages at once: a handler that started now would only be nacked later.
    const busDrained = options.bus?.drain(options.graceMs ?? 30_000).catch((error: unknown) => {
      logger.error(`bus drain failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    await registration.stop();
    await delay(options.propagationMs ?? 1_000);
    server.close();
    server.closeIdleConnections();
    if (inFlight > 0) {
      const finished = new Promise<void>((resolve) => {
        idle = resolve;
      });
      await Promise.race([finished, delay(options.graceMs ?? 30_000)]);
    }
    server.closeAllConnections();
    await busDrained;
    // Handlers finished above may still have needed their clients; now nothing will.
    clientsClosed = true;
    await Promise.all([...clients.values()].map((client) => client.close()));
    running.delete(service);
  }

  running.add(service);
  if (options.handleSignals !== false) installSignalHandlers(logger);
  return service;
}

type Probe = '/health' | '/livez' | '/readyz';

/**
 * The probes answer at the root, for orchestrators that reach the instance directly, and under
 * the base path, which is where the gateway forwards `/api/{service}/health`.
 */
function probePaths(basePath: string): Map<string, Probe> {
  const prefix = basePath.replace(/\/+$/, '');
  const paths = new Map<string, Probe>();
  for (const probe of ['/health', '/livez', '/readyz'] as const) {
    paths.set(probe, probe);
    if (prefix !== '') paths.set(`${prefix.startsWith('/') ? '' : '/'}${prefix}${probe}`, probe);
  }
  return paths;
}

function installSignalHandlers(logger: ServiceLogger): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`${signal} received: draining ${running.size} service(s)`);
    Promise.all([...running].map((s) => s.close())).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

function answerError(error: unknown, req: IncomingMessage, res: ServerResponse, logger: ServiceLogger): void {
  const known =
    error instanceof PorticoError ? error : new PorticoError('INTERNAL_ERROR', 'the service failed to answer');
  // A caller that hung up mid-body is not a bug in the handler: nothing to log, nobody to answer.
  if (req.destroyed && !res.headersSent) return;
  if (!(error instanceof PorticoError)) logger.error(`unhandled error in handler: ${String(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, known.status, fail(known, String(req.headers['x-request-id'] ?? '')));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
