import type { RunOutcome, ScheduleRun } from '@portico/sdk';
import type { StoredSpec } from './schedule-spec.js';
import type { ScheduleRecord } from './schedule-store-port.js';

/** A `scheduler_schedules` row as both engines return it (ids may come as strings). */
export interface ScheduleRow {
  id: string | number;
  tenant: string;
  name: string;
  spec: StoredSpec;
  enabled: boolean;
  cursor_at: Date | string;
  last_success_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  updated_by: string;
}

/** A `scheduler_runs` row with its schedule's tenant and name. */
export interface RunRow {
  id: string | number;
  tenant: string;
  name: string;
  trigger: 'cron' | 'manual';
  scheduled_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  attempt: number;
  outcome: RunOutcome;
  error: string | null;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export function toRecord(row: ScheduleRow): ScheduleRecord {
  return {
    ...row.spec,
    id: String(row.id),
    tenant: row.tenant,
    name: row.name,
    enabled: row.enabled,
    cursorAt: new Date(row.cursor_at),
    lastSuccessAt: row.last_success_at === null ? null : new Date(row.last_success_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    updatedBy: row.updated_by,
  };
}

export function toRun(row: RunRow): ScheduleRun {
  return {
    id: String(row.id),
    tenant: row.tenant,
    schedule: row.name,
    trigger: row.trigger,
    scheduledAt: iso(row.scheduled_at) as string,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    attempt: row.attempt,
    outcome: row.outcome,
    error: row.error,
  };
}
