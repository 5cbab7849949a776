import { type Static, Type } from '@sinclair/typebox';
import type { IdentityView } from '../../identity/identity-view.js';
import type { Principal } from '../../identity/model.js';
import { PLATFORM_TENANT } from '../../identity/permissions.js';
import { isOpen } from './authentication.js';
import type { GatewayPolicy, PolicyDenial, PolicyVerdict } from './gateway-policy.js';
import type { PolicyExchange } from './policy-exchange.js';

/** Per-route settings: whether the host's first label may name the tenant (default true). */
export const TenancyConfig = Type.Object({ subdomain: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
export type TenancyConfig = Static<typeof TenancyConfig>;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A platform administrator may act in any tenant; nobody else leaves their own. */
export function isPlatformAdmin(principal: Principal): boolean {
  return principal.tenant === PLATFORM_TENANT && principal.roles.includes('super_admin');
}

/**
 * Tenancy (priority 1900): resolves the tenant of an authenticated request from `x-tenant-id`,
 * else the credential, else the host's subdomain, and enforces it: it must be the credential's
 * own tenant (platform admins excepted) → 403; unknown → 404; disabled → 403; the service not
 * among the tenant's `enabledServices` → 404 (to that tenant the service does not exist). The
 * `platform` tenant may call every service. The resolved tenant is forwarded as `x-tenant-id`.
 *
 * @example
 * ```ts
 * const compile = policyCompiler([authentication, tenancy], { identity: view }, () => undefined);
 * ```
 */
export const tenancy: GatewayPolicy<TenancyConfig> = {
  name: 'tenancy',
  priority: 1900,
  schema: TenancyConfig,
  compile(access, config, env) {
    const identity = env.identity;
    // Without identity nothing is authenticated, so there is no tenant to resolve.
    if (identity === undefined || isOpen(access)) return undefined;
    const useSubdomain = config?.subdomain ?? true;
    return (exchange) => resolveTenant(exchange, access.service, identity, useSubdomain);
  },
};

function resolveTenant(
  exchange: PolicyExchange,
  service: string,
  identity: IdentityView,
  useSubdomain: boolean,
): PolicyVerdict {
  const principal = exchange.principal;
  // Anonymous callers of public paths carry no tenant to enforce; the services see none.
  if (principal === undefined) return undefined;
  const header = exchange.req.headers['x-tenant-id'];
  if (Array.isArray(header)) return deny('VALIDATION_ERROR', 'send one x-tenant-id header');
  const name = header?.trim().toLowerCase() || principal.tenant || (useSubdomain ? subdomainOf(exchange) : undefined);
  if (name === undefined) return deny('AUTHORIZATION_ERROR', 'the request names no tenant');
  if (name !== principal.tenant && !isPlatformAdmin(principal)) {
    return deny('AUTHORIZATION_ERROR', `the credential belongs to another tenant than ${JSON.stringify(name)}`);
  }
  const tenant = DNS_LABEL.test(name) ? identity.tenant(name) : undefined;
  if (tenant === undefined) return deny('NOT_FOUND', `tenant ${JSON.stringify(name)} does not exist`);
  if (tenant.status !== 'active') return deny('AUTHORIZATION_ERROR', `tenant ${name} is disabled`);
  if (name !== PLATFORM_TENANT && !tenant.enabledServices.includes(service)) {
    return deny('NOT_FOUND', `service ${service} is not enabled for tenant ${name}`);
  }
  exchange.tenant = tenant;
  exchange.forward ??= {};
  exchange.forward['x-tenant-id'] = name;
  return undefined;
}

function subdomainOf(exchange: PolicyExchange): string | undefined {
  const host = exchange.req.headers.host;
  if (host === undefined) return undefined;
  const dot = host.indexOf('.');
  // A bare host or an IP address names no tenant.
  if (dot === -1 || /^[\d.:[\]]+$/.test(host)) return undefined;
  return host.slice(0, dot).toLowerCase();
}

function deny(code: PolicyDenial['code'], message: string): PolicyDenial {
  return { code, message };
}
