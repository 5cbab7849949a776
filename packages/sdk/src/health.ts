/** What a dependency check reports. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** The standard body of `GET /health`, the same for the platform and every SDK service. */
export interface HealthReport {
  status: HealthStatus;
  timestamp: string;
  uptime_seconds: number;
  version: string;
  dependencies: Record<string, HealthStatus>;
}

/**
 * A dependency check: resolves to a status (or `true`/`false`); a throw or a time-out counts as
 * `unhealthy`.
 */
export type HealthCheck = () => HealthStatus | boolean | Promise<HealthStatus | boolean>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Runs the dependency checks in parallel and builds the standard report. The overall status is
 * the worst of the dependencies.
 *
 * @example
 * ```ts
 * const report = await healthReport({ db: () => pool.query('select 1').then(() => true) }, {
 *   version: '1.2.0',
 *   startedAt: Date.now(),
 * });
 * ```
 */
export async function healthReport(
  checks: Record<string, HealthCheck>,
  info: { version: string; startedAt: number },
): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name] as HealthCheck)));
  const dependencies: Record<string, HealthStatus> = {};
  let status: HealthStatus = 'healthy';
  names.forEach((name, i) => {
    const result = results[i] as HealthStatus;
    dependencies[name] = result;
    status = worst(status, result);
  });
  return {
    status,
    timestamp: new Date().toISOString(),
    uptime_seconds: Math.floor((Date.now() - info.startedAt) / 1000),
    version: info.version,
    dependencies,
  };
}

/** The HTTP status that goes with a health status: only `unhealthy` fails a probe. */
export function healthHttpStatus(status: HealthStatus): number {
  return status === 'unhealthy' ? 503 : 200;
}

async function runCheck(check: HealthCheck): Promise<HealthStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<HealthStatus>((resolve) => {
      timer = setTimeout(() => resolve('unhealthy'), CHECK_TIMEOUT_MS);
    });
    const result = await Promise.race([Promise.resolve().then(check), timeout]);
    if (result === true) return 'healthy';
    if (result === false) return 'unhealthy';
    return result;
  } catch {
    return 'unhealthy';
  } finally {
    clearTimeout(timer);
  }
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a;
}
