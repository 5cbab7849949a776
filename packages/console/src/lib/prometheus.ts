/** One sample of the Prometheus text format: a metric name, its labels and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses Prometheus exposition text (what Portico's `/metrics` answers) into samples; comments
 * and lines it cannot read are skipped.
 *
 * @example
 * ```ts
 * parseMetrics('portico_gateway_requests_total{service="orders",status_class="2xx"} 3');
 * // [{ name: 'portico_gateway_requests_total', labels: { service: 'orders', status_class: '2xx' }, value: 3 }]
 * ```
 */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(match[3] === '+Inf' ? Number.POSITIVE_INFINITY : match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** Per service, the counters and histogram the overview reads from one scrape. */
export interface ServiceCounters {
  requests: number;
  errors5xx: number;
  rateLimited: number;
  breaker: number;
  /** Cumulative `le` buckets of the request duration, seconds → count. */
  buckets: Map<number, number>;
}

/**
 * The gateway's per-service counters of one scrape.
 *
 * @example
 * ```ts
 * const byService = serviceCounters(parseMetrics(await (await fetch('/metrics')).text()));
 * ```
 */
export function serviceCounters(samples: readonly Sample[]): Map<string, ServiceCounters> {
  const out = new Map<string, ServiceCounters>();
  const of = (service: string) => {
    let entry = out.get(service);
    if (!entry) {
      entry = { requests: 0, errors5xx: 0, rateLimited: 0, breaker: 0, buckets: new Map() };
      out.set(service, entry);
    }
    return entry;
  };
  for (const { name, labels, value } of samples) {
    const service = labels.service;
    if (service === undefined) continue;
    if (name === 'portico_gateway_requests_total') {
      of(service).requests += value;
      if (labels.status_class === '5xx') of(service).errors5xx += value;
    } else if (name === 'portico_gateway_errors_total' && labels.code === 'RATE_LIMITED') {
      of(service).rateLimited += value;
    } else if (name === 'portico_gateway_breaker_state') {
      of(service).breaker = value;
    } else if (name === 'portico_gateway_request_duration_seconds_bucket' && labels.le !== undefined) {
      const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
      const buckets = of(service).buckets;
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    }
  }
  return out;
}

/**
 * The q-quantile (0.99 for p99) of the requests between two scrapes' cumulative buckets, in
 * seconds, interpolated inside its bucket as Prometheus's `histogram_quantile` does; null when
 * no request came in between.
 *
 * @example
 * ```ts
 * quantile(0.99, before.buckets, now.buckets); // 0.042
 * ```
 */
export function quantile(q: number, before: Map<number, number>, now: Map<number, number>): number | null {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (now.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if ((counts[i] ?? 0) >= rank) {
      const upper = bounds[i] as number;
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      if (upper === Number.POSITIVE_INFINITY) return lower;
      const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
      const inBucket = (counts[i] ?? 0) - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return null;
}
