import type { BackoffOptions, ConcurrencyPolicy, ScheduleSpec, ScheduleTarget } from '@portico/sdk';
import { checkTopic } from '../bus/topic.js';
import { parseCron } from './cron.js';
import { scheduleInvalid } from './errors.js';

/** A schedule's settings with every default filled in, as the store keeps them. */
export interface StoredSpec {
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  retries: { maxAttempts: number; backoff: BackoffOptions };
  timeoutMs: number;
  concurrency: ConcurrencyPolicy;
  description: string;
}

/** Defaults of a spec's optional settings (docs/scheduler.md, "A schedule"). */
export const SPEC_DEFAULTS = { timezone: 'UTC', maxAttempts: 1, timeoutMs: 30_000, concurrency: 'skip' } as const;

/**
 * Checks a spec beyond its JSON schema (the cron expression, the time zone, the topic) and fills
 * in the defaults. Throws `VALIDATION_ERROR` with `details.code: SCHEDULE_INVALID`.
 *
 * @example
 * ```ts
 * const stored = normalizeSpec({ cron: '*\/5 * * * * *', target: { kind: 'bus', type: 'market.archive' } });
 * stored.retries.maxAttempts; // 1
 * ```
 */
export function normalizeSpec(spec: ScheduleSpec): StoredSpec {
  const timezone = spec.timezone ?? SPEC_DEFAULTS.timezone;
  const cron = spec.cron.trim().replace(/\s+/g, ' ');
  parseCron(cron, timezone);
  const { target } = spec;
  if (target.kind === 'bus') {
    try {
      checkTopic(target.type);
    } catch (error) {
      throw scheduleInvalid('target.type', (error as Error).message);
    }
  } else if (!target.path.startsWith('/')) {
    throw scheduleInvalid('target.path', 'an HTTP target path starts with "/"');
  }
  const backoff = spec.retries?.backoff ?? {};
  if (backoff.maxMs !== undefined && backoff.initialMs !== undefined && backoff.maxMs < backoff.initialMs) {
    throw scheduleInvalid('retries.backoff.maxMs', 'maxMs is smaller than initialMs');
  }
  return {
    cron,
    timezone,
    target,
    retries: { maxAttempts: spec.retries?.maxAttempts ?? SPEC_DEFAULTS.maxAttempts, backoff },
    timeoutMs: spec.timeoutMs ?? SPEC_DEFAULTS.timeoutMs,
    concurrency: spec.concurrency ?? SPEC_DEFAULTS.concurrency,
    description: spec.description ?? '',
  };
}
