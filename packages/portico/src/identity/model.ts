/** Whether a tenant can sign in and be served. */
export type TenantStatus = 'active' | 'disabled';

/** A tenant: an isolated set of users, roles, keys and clients, plus its config document. */
export interface Tenant {
  name: string;
  displayName: string;
  status: TenantStatus;
  /** Services this tenant may call through the gateway. */
  enabledServices: string[];
  /** A JSON document the tenant's services read (the seeds' "config center"). */
  config: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** A user as the API shows it: never the password hash. */
export interface User {
  id: string;
  tenant: string;
  username: string;
  email: string | null;
  roles: string[];
  active: boolean;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A role: built-in (`super_admin`, `tenant_admin`, `user`) or custom to one tenant. */
export interface Role {
  tenant: string | null;
  name: string;
  description: string;
  permissions: string[];
  builtIn: boolean;
}

/** An API key as listed: its prefix identifies it, the secret is never shown again. */
export interface ApiKey {
  id: string;
  tenant: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdBy: string;
  createdAt: string;
}

/** A service client of the client-credentials grant. */
export interface ServiceClient {
  id: string;
  tenant: string;
  clientId: string;
  name: string;
  scopes: string[];
  active: boolean;
  lastUsedAt: string | null;
  createdBy: string;
  createdAt: string;
}

/** One audit record. `changes` never holds a secret. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  actorTenant: string | null;
  tenant: string | null;
  action: string;
  target: string;
  changes: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
}

/** What `POST /auth/login` and `POST /auth/refresh` answer. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/**
 * A verified caller: a user (from an access token), a service client (client-credentials
 * token) or an API key.
 */
export interface Principal {
  kind: 'user' | 'client' | 'api-key';
  /** User id, client id or API key id. */
  subject: string;
  tenant: string;
  roles: string[];
  permissions: string[];
  scopes: string[];
  username?: string;
  /** The refresh-token family a user's access token belongs to. */
  sessionId?: string;
}

/** Who did an admin write, and from where; recorded in the audit log. */
export interface Actor {
  principal: Principal;
  requestId?: string;
  ip?: string;
}
