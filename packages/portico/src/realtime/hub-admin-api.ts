import type { IncomingHttpHeaders } from 'node:http';
import { PorticoError } from '@portico/sdk';
import type { IdentityView } from '../identity/identity-view.js';
import type { Principal } from '../identity/model.js';
import { PLATFORM_TENANT } from '../identity/permissions.js';
import type { RealtimeHub } from './realtime-hub.js';
import { verifySocketCredential } from './socket-auth.js';

/** `GET /v1/realtime/connections`: sockets of this process's hub, per tenant. */
export interface HubConnections {
  total: number;
  tenants: { tenant: string; connections: number }[];
}

/** `GET /v1/realtime/channels`: channels with subscribers, and the history each keeps. */
export interface HubChannel {
  channel: string;
  tenant: string;
  subscribers: number;
  history: number;
}

/** What the hub's admin routes need: the hub and the gateway's in-memory identity. */
export interface HubAdminSource {
  hub: RealtimeHub;
  identity: IdentityView | undefined;
}

/**
 * The hub's admin operations, shared by the full admin app and the lean one of a gateway-only
 * process (`realtime/admin-routes.ts` mounts them on either). The caller is verified as the
 * hub verifies sockets — in the gateway's memory, no store I/O — so a gateway-only process,
 * which holds no identity store, answers the same. A platform administrator (`super_admin`)
 * sees every tenant, unauthenticated sockets included; a `tenant_admin` sees its tenant's.
 *
 * @example
 * ```ts
 * const api = hubAdminApi({ hub, identity: identityView });
 * const { total, tenants } = await api.connections(req.headers);
 * ```
 */
export function hubAdminApi(source: HubAdminSource) {
  return {
    async connections(headers: IncomingHttpHeaders): Promise<HubConnections> {
      const sees = visibleTenants(await callerOf(source.identity, headers));
      const tenants = Object.entries(source.hub.stats().connections)
        .filter(([tenant]) => sees(tenant))
        .map(([tenant, connections]) => ({ tenant, connections }))
        .sort((a, b) => a.tenant.localeCompare(b.tenant));
      return { total: tenants.reduce((n, t) => n + t.connections, 0), tenants };
    },
    async channels(headers: IncomingHttpHeaders): Promise<HubChannel[]> {
      const sees = visibleTenants(await callerOf(source.identity, headers));
      return source.hub
        .stats()
        .channels.map((c) => ({ ...c, tenant: c.channel.split(':')[1] as string }))
        .filter((c) => sees(c.tenant))
        .sort((a, b) => a.channel.localeCompare(b.channel));
    },
  };
}

/** The caller of an admin request: `Authorization: Bearer <jwt>` or an API key (`x-api-key`). */
async function callerOf(identity: IdentityView | undefined, headers: IncomingHttpHeaders): Promise<Principal> {
  if (identity === undefined) {
    // A gateway-only process started without clusterSecret: it cannot verify anyone.
    throw new PorticoError('SERVICE_UNAVAILABLE', 'this gateway cannot verify credentials (no clusterSecret)');
  }
  const authorization = headers.authorization;
  const apiKey = headers['x-api-key'];
  const credential = authorization?.startsWith('Bearer ')
    ? authorization.slice(7).trim()
    : typeof apiKey === 'string'
      ? apiKey.trim()
      : undefined;
  if (credential === undefined) {
    throw new PorticoError('AUTHENTICATION_ERROR', 'send an access token (Authorization: Bearer) or an API key');
  }
  const who = await verifySocketCredential(identity, credential);
  if (who === undefined) throw new PorticoError('AUTHENTICATION_ERROR', 'the token or API key is invalid or expired');
  return who.principal;
}

/** Which tenants' sockets the caller may see; refuses a caller that administers none. */
function visibleTenants(principal: Principal): (tenant: string) => boolean {
  const admin = principal.kind === 'user' ? principal.roles : [];
  if (principal.tenant === PLATFORM_TENANT && admin.includes('super_admin')) return () => true;
  if (admin.includes('tenant_admin')) return (tenant) => tenant === principal.tenant;
  throw new PorticoError('AUTHORIZATION_ERROR', 'the hub admin routes need super_admin or tenant_admin');
}
