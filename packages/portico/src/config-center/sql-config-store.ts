import { type Kysely, sql } from 'kysely';
import { applyWrite } from './apply-write.js';
import type {
  ConfigChange,
  ConfigEntry,
  ConfigStorePort,
  ConfigValues,
  ConfigWrite,
  WriteOptions,
} from './config-store-port.js';

interface EntryRow {
  tenant: string;
  service: string;
  values: ConfigValues;
  revision: string | number;
  updated_by: string;
  updated_at: Date;
}

interface ChangeRow {
  revision: string | number;
  tenant: string;
  service: string;
  kind: 'put' | 'deleted';
  values: ConfigValues;
  actor: string;
  at: Date;
}

/**
 * The config center in the store (PGlite or PostgreSQL: the same SQL). A write is one
 * transaction: the advisory lock, the compare-and-set read, the change row (its `bigserial` is
 * the revision), the entry, and `alongside` (the audit record). The lock makes revisions commit
 * in order, so a watch reading "after N" never skips one that commits late.
 *
 * @example
 * ```ts
 * const configs = new SqlConfigStore(store.db);
 * await configs.write('acme', 'orders', { kind: 'patch', patch: { theme: 'dark' } }, { actor: 'admin', ifRevision: 3 });
 * ```
 */
export class SqlConfigStore implements ConfigStorePort {
  constructor(private readonly db: Kysely<unknown>) {}

  async get(tenant: string, service: string): Promise<ConfigEntry | undefined> {
    const { rows } = await sql<EntryRow>`
      select * from config_entries where tenant = ${tenant} and service = ${service}`.execute(this.db);
    return rows[0] && toEntry(rows[0]);
  }

  async list(tenant: string): Promise<ConfigEntry[]> {
    const { rows } = await sql<EntryRow>`
      select * from config_entries where tenant = ${tenant} order by service`.execute(this.db);
    return rows.map(toEntry);
  }

  write(tenant: string, service: string, write: ConfigWrite, options: WriteOptions): Promise<ConfigChange> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext('portico:config-center'))`.execute(tx);
      const { rows: current } = await sql<EntryRow>`
        select * from config_entries where tenant = ${tenant} and service = ${service}`.execute(tx);
      const values = applyWrite(
        tenant,
        service,
        current[0] && toEntry(current[0]),
        write,
        options.ifRevision,
        options.maxBytes,
      );
      const kind = values === undefined ? 'deleted' : 'put';
      const { rows } = await sql<ChangeRow>`
        insert into config_changes (tenant, service, kind, "values", actor)
        values (${tenant}, ${service}, ${kind}, ${JSON.stringify(values ?? {})}::jsonb, ${options.actor})
        returning *`.execute(tx);
      const change = toChange(rows[0] as ChangeRow);
      if (values === undefined) {
        await sql`delete from config_entries where tenant = ${tenant} and service = ${service}`.execute(tx);
      } else {
        await sql`
          insert into config_entries (tenant, service, "values", revision, updated_by, updated_at)
          values (${tenant}, ${service}, ${JSON.stringify(values)}::jsonb, ${change.revision}, ${options.actor}, ${change.at})
          on conflict (tenant, service) do update
          set "values" = excluded."values", revision = excluded.revision,
              updated_by = excluded.updated_by, updated_at = excluded.updated_at`.execute(tx);
      }
      await options.alongside?.(change, tx);
      return change;
    });
  }

  async changesAfter(tenant: string, revision: number, limit: number): Promise<ConfigChange[]> {
    const { rows } = await sql<ChangeRow>`
      select * from config_changes where tenant = ${tenant} and revision > ${revision}
      order by revision limit ${limit}`.execute(this.db);
    return rows.map(toChange);
  }

  async canResume(revision: number): Promise<boolean> {
    // The store keeps every change (a deleted tenant's go with it, and a re-created tenant starts
    // over above the old revisions), so only a revision from the future cannot resume.
    return revision <= (await this.latestRevision());
  }

  async latestRevision(): Promise<number> {
    const { rows } = await sql<{ revision: string | number | null }>`
      select max(revision) as revision from config_changes`.execute(this.db);
    return Number(rows[0]?.revision ?? 0);
  }

  async close(): Promise<void> {}
}

function toEntry(row: EntryRow): ConfigEntry {
  return {
    tenant: row.tenant,
    service: row.service,
    revision: Number(row.revision),
    values: row.values,
    updatedAt: new Date(row.updated_at).toISOString(),
    updatedBy: row.updated_by,
  };
}

function toChange(row: ChangeRow): ConfigChange {
  return {
    revision: Number(row.revision),
    tenant: row.tenant,
    service: row.service,
    kind: row.kind,
    values: row.values,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
  };
}
