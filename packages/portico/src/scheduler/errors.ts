import { PorticoError } from '@portico/sdk';

/**
 * The scheduler's own codes (docs/errors.md, "Scheduler errors"). Over HTTP each travels as
 * `details.code` of the envelope error whose status it names.
 */
export const SCHEDULER_ERROR_CODES = {
  /** A cron expression, time zone, target or setting the scheduler cannot take. */
  SCHEDULE_INVALID: 400,
} as const;

/** One of `SCHEDULER_ERROR_CODES`. */
export type SchedulerErrorCode = keyof typeof SCHEDULER_ERROR_CODES;

/**
 * A schedule the caller got wrong: `400 VALIDATION_ERROR` with `details: { code, field }`.
 *
 * @example
 * ```ts
 * throw scheduleInvalid('cron', 'minute 61 is out of range');
 * ```
 */
export function scheduleInvalid(field: string, message: string): PorticoError {
  return new PorticoError('VALIDATION_ERROR', message, { code: 'SCHEDULE_INVALID', field });
}
