import type { HealthCheckSpec } from '@portico/sdk';
import type { Upstream } from '../upstream.js';

const PROBE_TIMEOUT = new Error('the health check timed out');

/** The defaults of a declared health check. */
const DEFAULTS = { intervalSeconds: 10, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3 };

/**
 * Active health checking of one upstream, Consul-style: the service declares a check at
 * registration and the gateway probes it (`GET {basePath-less path}`) every interval through
 * the upstream's own pool. `unhealthyThreshold` failures in a row take the upstream out of
 * rotation, `healthyThreshold` successes bring it back. A 2xx or 3xx answer is a success.
 */
export class ActiveHealthCheck {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  private readonly spec: Required<HealthCheckSpec>;

  constructor(
    private readonly upstream: Upstream,
    spec: HealthCheckSpec,
    private readonly onChange: () => void,
  ) {
    this.spec = { ...DEFAULTS, ...spec };
  }

  start(): void {
    this.timer = setInterval(() => void this.probe(), this.spec.intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One probe; exposed for tests and for an immediate check. */
  async probe(): Promise<void> {
    const status = await this.statusOfProbe();
    const ok = status >= 200 && status < 400;
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (!this.upstream.healthy && this.successes >= this.spec.healthyThreshold) this.set(true);
    } else {
      this.successes = 0;
      this.failures++;
      if (this.upstream.healthy && this.failures >= this.spec.unhealthyThreshold) this.set(false);
    }
  }

  /** The probe's status code; 0 when it failed or took longer than the timeout. */
  private statusOfProbe(): Promise<number> {
    return new Promise((resolve) => {
      let status = 0;
      const timer = setTimeout(() => call.abort(PROBE_TIMEOUT), this.spec.timeoutMs);
      const call = this.upstream.pool.dispatch(
        { method: 'GET', path: this.spec.path, headers: {}, body: null, bodyTimeoutMs: this.spec.timeoutMs },
        {
          onResponseStart: (code) => {
            status = code;
            return true;
          },
          onResponseData: () => {},
          onResponseEnd: () => {
            clearTimeout(timer);
            resolve(status);
          },
          onResponseError: () => {
            clearTimeout(timer);
            resolve(0);
          },
        },
      );
    });
  }

  private set(healthy: boolean): void {
    this.upstream.healthy = healthy;
    this.onChange();
  }
}
