import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { Actor, AuditEntry } from './model.js';
import { toAuditEntry } from './rows.js';

/** Keys whose values are never written to the audit log, at any depth. */
const SECRET_KEYS = /pass(word)?|secret|token|hash|^key$|private/i;

/** What one audit record says. */
export interface AuditRecord {
  action: string;
  tenant: string | null;
  target: string;
  changes?: Record<string, unknown>;
}

/** Filters and paging of `GET /v1/admin/audit`. */
export interface AuditQuery {
  tenant?: string;
  actor?: string;
  action?: string;
  /** Entries older than this id (the previous page's `nextCursor`). */
  before?: string;
  limit: number;
}

/**
 * The audit log: who did what to which tenant and target, when, from which request. Values of
 * secret-looking keys are replaced by `"[redacted]"` before anything is written, so a caller that
 * passes a whole request body cannot leak a password into it.
 *
 * @example
 * ```ts
 * await audit.record(actor, { action: 'user.create', tenant: 'acme', target: user.id, changes: { username } });
 * ```
 */
export class AuditLog {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(actor: Actor | 'system', record: AuditRecord, db: Kysely<Database> = this.#db): Promise<void> {
    const who = actor === 'system' ? undefined : actor;
    await db
      .insertInto('audit_log')
      .values({
        actor: who ? (who.principal.username ?? who.principal.subject) : 'system',
        actor_tenant: who?.principal.tenant ?? null,
        tenant: record.tenant,
        action: record.action,
        target: record.target,
        changes: JSON.stringify(redact(record.changes ?? {})),
        request_id: who?.requestId ?? null,
        ip: who?.ip ?? null,
      })
      .execute();
  }

  async query(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    let select = this.#db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.tenant !== undefined) select = select.where('tenant', '=', query.tenant);
    if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
    if (query.action !== undefined) select = select.where('action', '=', query.action);
    if (query.before !== undefined) select = select.where('id', '<', query.before);
    const rows = await select.execute();
    const page = rows.slice(0, query.limit).map(toAuditEntry);
    return { entries: page, nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null };
  }
}

/**
 * A copy of `value` with the values of secret-looking keys replaced.
 *
 * @example
 * ```ts
 * redact({ username: 'a', password: 'x' }); // { username: 'a', password: '[redacted]' }
 * ```
 */
export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redact) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redact(inner);
  return out as T;
}
