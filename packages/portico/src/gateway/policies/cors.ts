import { type Static, Type } from '@sinclair/typebox';
import { ANSWERED, type GatewayPolicy, type PolicyVerdict } from './gateway-policy.js';
import type { PolicyExchange } from './policy-exchange.js';

const ORIGIN = Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\*|https?://[^/\\s]+)$' });

/**
 * Per-route settings (`services.{name}.policies.cors`). Origins are exact (`https://app.example.com`),
 * a subdomain wildcard (`https://*.example.com`) or `*` for any.
 */
export const CorsConfig = Type.Object(
  {
    origins: Type.Array(ORIGIN, { minItems: 1, maxItems: 100 }),
    methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]{1,20}$' }), { minItems: 1, maxItems: 20 })),
    allowHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), { maxItems: 100 })),
    exposeHeaders: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), { maxItems: 100 })),
    /** Lets browsers send cookies and read the answer; the caller's origin is echoed, never `*`. */
    credentials: Type.Optional(Type.Boolean()),
    maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
export type CorsConfig = Static<typeof CorsConfig>;

const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** What a browser client of Portico sends: credentials, tenant, JSON, tracing. */
const DEFAULT_ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'x-tenant-id',
  'x-request-id',
  'traceparent',
];
/** What it may read besides the CORS-safelisted response headers: ids and rate-limit state. */
const DEFAULT_EXPOSE_HEADERS = [
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
  'retry-after',
];

/** The compiled form: header values joined once, origins in a set and a few patterns. */
interface CompiledCors {
  anyOrigin: boolean;
  exact: Set<string>;
  patterns: RegExp[];
  credentials: boolean;
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  maxAge: string;
}

/**
 * CORS (priority 3000, before authentication): answers preflights itself — a browser sends them
 * without credentials, so they must not reach authentication — and adds the CORS headers to
 * every answer for an allowed origin, errors included, so a browser can read why it was refused.
 * A disallowed origin gets no CORS headers: the browser then withholds the answer from the page.
 *
 * @example
 * ```yaml
 * services:
 *   orders:
 *     policies:
 *       cors: { origins: ['https://app.example.com', 'https://*.example.com'], credentials: true }
 * ```
 */
export const cors: GatewayPolicy<CorsConfig> = {
  name: 'cors',
  priority: 3000,
  schema: CorsConfig,
  compile(_access, config) {
    if (config === undefined) return undefined;
    const compiled = compileCors(config);
    return (exchange) => applyCors(exchange, compiled);
  },
};

function compileCors(config: CorsConfig): CompiledCors {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const origin of config.origins) {
    if (origin === '*') continue;
    const star = origin.indexOf('://*.');
    if (star === -1) exact.add(origin.toLowerCase());
    else {
      const scheme = origin.slice(0, star);
      const rest = origin
        .slice(star + 5)
        .toLowerCase()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      patterns.push(new RegExp(`^${scheme}://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.${rest}$`));
    }
  }
  return {
    anyOrigin: config.origins.includes('*'),
    exact,
    patterns,
    credentials: config.credentials ?? false,
    allowMethods: (config.methods ?? DEFAULT_METHODS).join(', '),
    allowHeaders: (config.allowHeaders ?? DEFAULT_ALLOW_HEADERS).join(', '),
    exposeHeaders: (config.exposeHeaders ?? DEFAULT_EXPOSE_HEADERS).join(', '),
    maxAge: String(config.maxAgeSeconds ?? 600),
  };
}

function allows(cors: CompiledCors, origin: string): boolean {
  if (cors.anyOrigin) return true;
  const lower = origin.toLowerCase();
  return cors.exact.has(lower) || cors.patterns.some((pattern) => pattern.test(lower));
}

function applyCors(exchange: PolicyExchange, cors: CompiledCors): PolicyVerdict {
  const { req, res } = exchange;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const preflight = exchange.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  const allowed = allows(cors, origin);
  // The answer depends on Origin whenever the policy is on, allowed or not: caches must not mix them.
  res.setHeader('vary', 'Origin');
  if (allowed) {
    // `*` cannot carry credentials (Fetch standard): echo the origin instead.
    res.setHeader('access-control-allow-origin', cors.anyOrigin && !cors.credentials ? '*' : origin);
    if (cors.credentials) res.setHeader('access-control-allow-credentials', 'true');
  }
  if (!preflight) {
    if (allowed && cors.exposeHeaders !== '') res.setHeader('access-control-expose-headers', cors.exposeHeaders);
    return undefined;
  }
  res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  if (allowed) {
    res.setHeader('access-control-allow-methods', cors.allowMethods);
    if (cors.allowHeaders !== '') res.setHeader('access-control-allow-headers', cors.allowHeaders);
    res.setHeader('access-control-max-age', cors.maxAge);
  }
  res.setHeader('x-request-id', exchange.requestId);
  res.writeHead(204);
  res.end();
  return ANSWERED;
}
