import { Counter, type Registry } from 'prom-client';

const RESULTS = ['success', 'failure', 'throttled', 'invalid', 'error'] as const;

/**
 * Sign-in metrics of identity: `POST /auth/login` answers by result. Every result is exported
 * from the start (at 0), so a dashboard's failure ratio has a denominator before the first login.
 *
 * @example
 * ```ts
 * const logins = new IdentityMetrics(registry);
 * logins.loginAnswered(401); // counts a failure
 * ```
 */
export class IdentityMetrics {
  private readonly logins: Counter<'result'>;

  constructor(registry: Registry) {
    this.logins = new Counter({
      name: 'portico_identity_logins_total',
      help: 'Password logins (POST /auth/login) by result: success, failure (wrong credentials), throttled (locked out), invalid (malformed), error.',
      labelNames: ['result'],
      registers: [registry],
    });
    for (const result of RESULTS) this.logins.labels(result).inc(0);
  }

  /** Counts a login by the HTTP status it was answered with. */
  loginAnswered(status: number): void {
    this.logins.labels(resultOf(status)).inc();
  }
}

function resultOf(status: number): (typeof RESULTS)[number] {
  if (status < 300) return 'success';
  if (status === 401) return 'failure';
  if (status === 429) return 'throttled';
  if (status < 500) return 'invalid';
  return 'error';
}
