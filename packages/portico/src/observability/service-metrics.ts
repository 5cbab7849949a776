import { type CounterCell, type HistogramCell, HotCounter, HotHistogram } from './hot-series.js';

/** Methods with their own label value; any other counts as `OTHER`, so a client cannot add series. */
export const METHOD_LABELS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'] as const;
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Every `/api/{name}` of a name the gateway does not know counts under this one label value. */
export const UNKNOWN_SERVICE = '_unknown';
/** The gateway's own endpoints on the public port: probes, identity's `/auth/*`, the JWKS. */
export const PLATFORM_SERVICE = '_platform';

/** Seconds; from a cache-warm proxy hop (~1 ms) to the longest default timeout (30 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The label value of a request method, as an index into `METHOD_LABELS`.
 *
 * @example
 * ```ts
 * METHOD_LABELS[methodIndex('PROPFIND')]; // 'OTHER'
 * ```
 */
export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'PATCH':
      return 4;
    case 'DELETE':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return 7;
  }
}

/**
 * The index into `STATUS_CLASSES` of a status; out-of-range statuses fold into the nearest class.
 *
 * @example
 * ```ts
 * STATUS_CLASSES[statusClassIndex(503)]; // '5xx'
 * ```
 */
export function statusClassIndex(status: number): number {
  const hundreds = (status / 100) | 0;
  return hundreds < 1 ? 0 : hundreds > 5 ? 4 : hundreds - 1;
}

/**
 * The gateway's per-service metric families. Each Portico process (and each platform a test
 * starts) has its own set, registered in its own registry.
 *
 * @example
 * ```ts
 * const families = new GatewayFamilies();
 * for (const family of Object.values(families)) family.registerIn(registry);
 * ```
 */
export class GatewayFamilies {
  readonly requests = new HotCounter(
    'portico_gateway_requests_total',
    'Requests answered by the gateway, by service, method and status class.',
    ['service', 'method', 'status_class'],
  );
  readonly duration = new HotHistogram(
    'portico_gateway_request_duration_seconds',
    'Time from the request reaching the gateway to the end of its response, by service and status class.',
    ['service', 'status_class'],
    LATENCY_BUCKETS,
  );
  readonly upstream = new HotHistogram(
    'portico_gateway_upstream_duration_seconds',
    "Time from sending a try to an instance to the instance's response headers, by service.",
    ['service'],
    LATENCY_BUCKETS,
  );
  readonly errors = new HotCounter(
    'portico_gateway_errors_total',
    'Error envelopes the gateway generated (policy denials such as RATE_LIMITED included), by service and code.',
    ['service', 'code'],
  );
  readonly retries = new HotCounter(
    'portico_gateway_retries_total',
    'Tries sent again to another instance after a failed one, by service.',
    ['service'],
  );
  readonly ejections = new HotCounter(
    'portico_gateway_ejections_total',
    'Instances taken out of rotation by outlier detection, by service.',
    ['service'],
  );
  readonly breakerOpens = new HotCounter(
    'portico_gateway_breaker_opens_total',
    "Times a service's circuit breaker opened.",
    ['service'],
  );
}

/**
 * An array of `length` empty cells. It holds `undefined` rather than only holes, so its elements
 * kind is already the one it has once cells are stored: the shared empty arrays below and every
 * service's own arrays then look alike to V8, and the lookup in `request()` stays monomorphic.
 */
function noCells<T>(length: number): (T | undefined)[] {
  const cells: (T | undefined)[] = new Array(length);
  cells[0] = undefined;
  return cells;
}

/**
 * What every service reads its cells from until it records its first request: one shared array
 * of empty cells instead of two arrays per service (~400 bytes, 4 MiB for 10,000 registered
 * services most of which may never be called). Never written: the first write replaces it with
 * the service's own array, on the path that already makes the cell.
 */
const NO_REQUEST_CELLS: (CounterCell | undefined)[] = noCells(METHOD_LABELS.length * STATUS_CLASSES.length);
const NO_DURATION_CELLS: (HistogramCell | undefined)[] = noCells(STATUS_CLASSES.length);

/**
 * The metric cells of one service, made with its route and kept on it: a request does array
 * indexing and additions only. Each cell is made on its first use, so a service that is
 * registered but never called exports nothing (a registry of 10,000 services stays scrapable).
 *
 * @example
 * ```ts
 * const metrics = new ServiceMetrics('orders', families);
 * metrics.request(methodIndex('GET'), 200, 0.004);
 * ```
 */
export class ServiceMetrics {
  /** Shared empty arrays until the service's first request: see `NO_REQUEST_CELLS`. */
  private requests = NO_REQUEST_CELLS;
  private durations = NO_DURATION_CELLS;
  private upstreamCell: HistogramCell | undefined;
  private retryCell: CounterCell | undefined;
  private ejectionCell: CounterCell | undefined;
  private breakerCell: CounterCell | undefined;
  /** By error code: a fixed, small set of constant strings, so the map stays tiny. Made on the first error. */
  private errorCells: Map<string, CounterCell> | undefined;

  constructor(
    readonly service: string,
    private readonly families: GatewayFamilies,
  ) {}

  /** One answered request: `method` from `methodIndex`, the final status, the total time. */
  request(method: number, status: number, seconds: number): void {
    const statusClass = statusClassIndex(status);
    const slot = method * STATUS_CLASSES.length + statusClass;
    let counter = this.requests[slot];
    if (counter === undefined) {
      counter = this.families.requests.cell([
        this.service,
        METHOD_LABELS[method] ?? 'OTHER',
        STATUS_CLASSES[statusClass] as string,
      ]);
      if (this.requests === NO_REQUEST_CELLS) this.requests = noCells(NO_REQUEST_CELLS.length);
      this.requests[slot] = counter;
    }
    counter.inc();
    let histogram = this.durations[statusClass];
    if (histogram === undefined) {
      histogram = this.families.duration.cell([this.service, STATUS_CLASSES[statusClass] as string]);
      if (this.durations === NO_DURATION_CELLS) this.durations = noCells(NO_DURATION_CELLS.length);
      this.durations[statusClass] = histogram;
    }
    histogram.observe(seconds);
  }

  upstreamAnswered(seconds: number): void {
    this.upstreamCell ??= this.families.upstream.cell([this.service]);
    this.upstreamCell.observe(seconds);
  }

  error(code: string): void {
    this.errorCells ??= new Map();
    let cell = this.errorCells.get(code);
    if (cell === undefined) {
      cell = this.families.errors.cell([this.service, code]);
      this.errorCells.set(code, cell);
    }
    cell.inc();
  }

  retried(): void {
    this.retryCell ??= this.families.retries.cell([this.service]);
    this.retryCell.inc();
  }

  ejected(): void {
    this.ejectionCell ??= this.families.ejections.cell([this.service]);
    this.ejectionCell.inc();
  }

  breakerOpened(): void {
    this.breakerCell ??= this.families.breakerOpens.cell([this.service]);
    this.breakerCell.inc();
  }
}

/**
 * Cells that belong to no registry: what a routing table made without metrics (unit tests)
 * records into.
 *
 * @example
 * ```ts
 * const table = new RoutingTable(balancerFactory('round-robin'), policyFor, undefined, detachedMetrics);
 * ```
 */
export function detachedMetrics(service: string): ServiceMetrics {
  detachedFamilies ??= new GatewayFamilies();
  return new ServiceMetrics(service, detachedFamilies);
}
let detachedFamilies: GatewayFamilies | undefined;
