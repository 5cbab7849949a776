import type { Selectable } from 'kysely';
import type { ApiKeysTable, AuditLogTable, ServiceClientsTable, TenantsTable, UsersTable } from '../store/database.js';
import type { ApiKeyRecord } from './identity-events.js';
import type { ApiKey, AuditEntry, ServiceClient, Tenant, User } from './model.js';

/** Maps store rows to the API's shapes: camelCase, ISO timestamps, no hashes. */
export const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export function toTenant(row: Selectable<TenantsTable>): Tenant {
  return {
    name: row.name,
    displayName: row.display_name,
    status: row.status,
    enabledServices: row.enabled_services,
    config: row.config,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    tenant: row.tenant,
    username: row.username,
    email: row.email,
    roles: row.roles,
    active: row.active,
    lastLoginAt: iso(row.last_login_at),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

export function toApiKeyRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    prefix: row.prefix,
    secretHash: row.secret_hash,
    scopes: row.scopes,
    expiresAt: row.expires_at?.getTime() ?? null,
  };
}

export function toClient(row: Selectable<ServiceClientsTable>): ServiceClient {
  return {
    id: row.id,
    tenant: row.tenant,
    clientId: row.client_id,
    name: row.name,
    scopes: row.scopes,
    active: row.active,
    lastUsedAt: iso(row.last_used_at),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

export function toAuditEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    actorTenant: row.actor_tenant,
    tenant: row.tenant,
    action: row.action,
    target: row.target,
    changes: row.changes,
    requestId: row.request_id,
    ip: row.ip,
  };
}
