import { Cron } from 'croner';
import { scheduleInvalid } from './errors.js';

/** A parsed cron expression in its time zone: when it fires. */
export interface CronTimes {
  /** The first fire time strictly after `after`, or undefined when it never fires again. */
  next(after: Date): Date | undefined;
  /** The latest fire time in `(after, atOrBefore]`, or undefined: the tick that is due now. */
  due(after: Date, atOrBefore: Date): Date | undefined;
}

/** Tells whether `timezone` is an IANA zone name this Node knows. */
function knownZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a 5-field (minute precision) or 6-field (seconds first) cron expression in an IANA time
 * zone, with croner. Across DST the wall-clock rules of croner hold: a fixed time that falls in a
 * spring-forward gap fires at the first valid time after it, one repeated at fall-back fires
 * once. Bad input throws `VALIDATION_ERROR` with `details.code: SCHEDULE_INVALID`; so does an
 * expression that never fires (`0 0 30 2 *`).
 *
 * @example
 * ```ts
 * const times = parseCron('30 2 * * *', 'Europe/Berlin');
 * times.next(new Date('2026-03-28T12:00:00Z')); // 2026-03-29T01:00:00Z (03:00 CEST, the gap's end)
 * ```
 */
export function parseCron(expression: string, timezone: string): CronTimes {
  if (!knownZone(timezone)) throw scheduleInvalid('timezone', `"${timezone}" is not an IANA time zone`);
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw scheduleInvalid('cron', `a cron expression has 5 or 6 fields, "${expression}" has ${fields}`);
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, timezone, mode: '5-or-6-parts' });
  } catch (error) {
    throw scheduleInvalid('cron', `"${expression}" is not a cron expression: ${(error as Error).message}`);
  }
  if (!cron.nextRun(new Date())) throw scheduleInvalid('cron', `"${expression}" never fires`);
  return {
    next: (after) => cron.nextRun(after) ?? undefined,
    due(after, atOrBefore) {
      // previousRuns is strictly before its reference: one millisecond later includes atOrBefore.
      const [latest] = cron.previousRuns(1, new Date(atOrBefore.getTime() + 1));
      return latest && latest.getTime() > after.getTime() ? latest : undefined;
    },
  };
}
