import type { PorticoError } from '@portico/sdk';
import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.js';

const at = (iso: string) => new Date(iso);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { code: (error as PorticoError).code, details: (error as PorticoError).details };
  }
  return undefined;
};

describe('parseCron', () => {
  it('reads 5 fields at minute precision and 6 with seconds first', () => {
    expect(parseCron('*/15 * * * *', 'UTC').next(at('2026-01-01T10:07:30Z'))).toEqual(at('2026-01-01T10:15:00Z'));
    expect(parseCron('*/10 * * * * *', 'UTC').next(at('2026-01-01T10:07:31Z'))).toEqual(at('2026-01-01T10:07:40Z'));
  });

  it('reads the expression in its time zone', () => {
    // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    const times = parseCron('0 9 * * *', 'America/New_York');
    expect(times.next(at('2026-01-15T00:00:00Z'))).toEqual(at('2026-01-15T14:00:00Z'));
    expect(times.next(at('2026-07-15T00:00:00Z'))).toEqual(at('2026-07-15T13:00:00Z'));
  });

  it('fires a fixed time in the spring-forward gap at the end of the gap, once', () => {
    // Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    const times = parseCron('30 2 * * *', 'Europe/Berlin');
    const first = times.next(at('2026-03-28T12:00:00Z'));
    expect(first).toEqual(at('2026-03-29T01:00:00Z')); // 03:00 CEST
    expect(times.next(first as Date)).toEqual(at('2026-03-30T00:30:00Z')); // 02:30 CEST the next day
  });

  it('fires a fixed time repeated at fall-back once, and an interval on both occurrences', () => {
    // Europe/Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    const fixed = parseCron('30 2 * * *', 'Europe/Berlin');
    const first = fixed.next(at('2026-10-24T12:00:00Z'));
    expect(first).toEqual(at('2026-10-25T00:30:00Z')); // 02:30 CEST
    expect(fixed.next(first as Date)).toEqual(at('2026-10-26T01:30:00Z')); // not 02:30 CET too
    const interval = parseCron('*/30 * * * *', 'Europe/Berlin');
    let t = at('2026-10-25T00:10:00Z');
    const fires: string[] = [];
    for (let i = 0; i < 4; i++) {
      t = interval.next(t) as Date;
      fires.push(t.toISOString());
    }
    // Every 30 minutes of real time through the repeated hour.
    expect(fires).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('gives the latest due tick after the cursor, collapsing missed ones into it', () => {
    const times = parseCron('*/5 * * * * *', 'UTC');
    expect(times.due(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:04.999Z'))).toBeUndefined();
    expect(times.due(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:05Z'))).toEqual(at('2026-01-01T00:00:05Z'));
    // Down for a minute: one tick is due, the latest, not twelve.
    expect(times.due(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:01:02Z'))).toEqual(at('2026-01-01T00:01:00Z'));
    // A tick at the cursor was handled already.
    expect(times.due(at('2026-01-01T00:01:00Z'), at('2026-01-01T00:01:04Z'))).toBeUndefined();
  });

  it('refuses bad input with SCHEDULE_INVALID and the field', () => {
    expect(codeOf(() => parseCron('61 * * * *', 'UTC'))).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { code: 'SCHEDULE_INVALID', field: 'cron' },
    });
    expect(codeOf(() => parseCron('* * * *', 'UTC'))).toMatchObject({ details: { field: 'cron' } });
    expect(codeOf(() => parseCron('* * * * * * *', 'UTC'))).toMatchObject({ details: { field: 'cron' } });
    expect(codeOf(() => parseCron('0 0 30 2 *', 'UTC'))).toMatchObject({ details: { field: 'cron' } });
    expect(codeOf(() => parseCron('* * * * *', 'Mars/Olympus'))).toMatchObject({ details: { field: 'timezone' } });
    expect(codeOf(() => parseCron('* * * * *', 'UTC'))).toBeUndefined();
  });
});
