/**
 * Tenancy and RBAC as a generated matrix: every caller (tenant A, tenant B, platform, by role,
 * and anonymous) × every tenant it may name × every route of two services, each sent through a
 * real Portico process to the echo fixture. The expected answer comes from a plain oracle written
 * from the documented rules, not from the gateway's code; on every 200 the test reads what the
 * service received, so a request that crossed tenants or carried a spoofed identity is caught
 * where it would do harm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, request } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'gateway-matrix-admin-password';

interface Route {
  method: string;
  path: string;
  public?: boolean;
  roles?: string[];
  permissions?: string[];
}

/** Declared on both services; `/misc` is declared by none, so it follows the service's `any`. */
const ENDPOINTS: Route[] = [
  { method: 'GET', path: '/public/info', public: true },
  { method: 'GET', path: '/orders/:id', permissions: ['orders.read'] },
  { method: 'PUT', path: '/orders/:id', permissions: ['orders.write'] },
  { method: 'POST', path: '/admin/reset', roles: ['manager'] },
];
const REQUESTS: Route[] = [
  ENDPOINTS[0] as Route,
  { ...(ENDPOINTS[1] as Route), path: '/orders/7' },
  { ...(ENDPOINTS[2] as Route), path: '/orders/7' },
  ENDPOINTS[3] as Route,
  { method: 'GET', path: '/misc' },
];

interface TenantSpec {
  status: 'active' | 'disabled';
  services: string[];
}
const TENANTS: Record<string, TenantSpec> = {
  alpha: { status: 'active', services: ['orders', 'billing'] },
  beta: { status: 'active', services: ['orders'] },
  delta: { status: 'disabled', services: ['orders', 'billing'] },
  platform: { status: 'active', services: [] },
};
const SERVICES = ['orders', 'billing'];
/** What each caller names as its tenant: nothing (its own), every tenant, and one that does not exist. */
const NAMED_TENANTS = [undefined, 'alpha', 'beta', 'delta', 'platform', 'zeta'];

const CUSTOM_ROLES: Record<string, string[]> = {
  reader: ['orders.read'],
  writer: ['orders.read', 'orders.write'],
  manager: [],
};

interface Caller {
  name: string;
  tenant: string;
  roles: string[];
  /** Granted permissions: the roles', or an API key's scopes. */
  permissions: string[];
  kind: 'user' | 'api-key' | 'anonymous';
  credential?: string;
}

const USERS: Omit<Caller, 'permissions' | 'kind'>[] = [
  { name: 'alpha-user', tenant: 'alpha', roles: ['user'] },
  { name: 'alpha-reader', tenant: 'alpha', roles: ['reader'] },
  { name: 'alpha-writer', tenant: 'alpha', roles: ['writer'] },
  { name: 'alpha-manager', tenant: 'alpha', roles: ['manager'] },
  { name: 'alpha-admin', tenant: 'alpha', roles: ['tenant_admin'] },
  { name: 'beta-reader', tenant: 'beta', roles: ['reader'] },
  { name: 'beta-manager', tenant: 'beta', roles: ['manager'] },
  { name: 'beta-admin', tenant: 'beta', roles: ['tenant_admin'] },
  { name: 'platform-user', tenant: 'platform', roles: ['user'] },
];

function permissionsOf(roles: string[]): string[] {
  return roles.flatMap((role) =>
    role === 'tenant_admin' || role === 'super_admin' ? ['*'] : (CUSTOM_ROLES[role] ?? []),
  );
}

function covers(granted: string[], required: string): boolean {
  return granted.some((g) => g === '*' || g === required || (g.endsWith('.*') && required.startsWith(g.slice(0, -1))));
}

/** The documented rules (docs/gateway-policies.md), written out plainly. */
function expected(caller: Caller, named: string | undefined, service: string, route: Route): number {
  if (route.public) return 200;
  if (caller.kind === 'anonymous') return 401;
  const superAdmin = caller.tenant === 'platform' && caller.roles.includes('super_admin');
  const tenant = named ?? caller.tenant;
  if (tenant !== caller.tenant && !superAdmin) return 403;
  const spec = TENANTS[tenant];
  if (spec === undefined) return 404;
  if (spec.status === 'disabled') return 403;
  if (tenant !== 'platform' && !spec.services.includes(service)) return 404;
  if (superAdmin) return 200;
  if (route.roles && !route.roles.some((role) => caller.roles.includes(role))) return 403;
  for (const permission of route.permissions ?? []) if (!covers(caller.permissions, permission)) return 403;
  return 200;
}

/** Identity headers a caller might forge; none may reach a service. */
const SPOOFED = {
  'x-user-id': 'spoofed-user',
  'x-user-roles': 'super_admin',
  'x-user-tenant': 'beta',
  'x-portico-identity': 'spoofed.assertion.value',
  'x-portico-caller': '{"roles":["super_admin"]}',
};

describe('tenancy and RBAC matrix', () => {
  let portico: PorticoProc;
  const services: ServiceProc[] = [];
  const callers: Caller[] = [];

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    const login = async (tenant: string, username: string, password: string) => {
      const reply = await postJson(`${portico.publicUrl}/auth/login`, { tenant, username, password });
      expect(reply.status, reply.text).toBe(200);
      return reply.body.data.accessToken as string;
    };
    const adminToken = await login('platform', 'admin', PASSWORD);
    const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const admin = async (method: string, path: string, body: unknown, status = 201) => {
      const reply = await request(`${portico.adminUrl}/v1/admin${path}`, {
        method,
        headers,
        body: JSON.stringify(body),
      });
      expect(reply.status, `${method} ${path}: ${reply.text}`).toBe(status);
      return reply.body.data;
    };
    for (const [name, spec] of Object.entries(TENANTS)) {
      if (name === 'platform') continue;
      await admin('POST', '/tenants', { name, displayName: name, enabledServices: spec.services });
      for (const [role, permissions] of Object.entries(CUSTOM_ROLES)) {
        await admin('POST', `/tenants/${name}/roles`, { name: role, permissions });
      }
    }
    for (const user of USERS) {
      const password = `${user.name}-password`;
      await admin('POST', `/tenants/${user.tenant}/users`, { username: user.name, password, roles: user.roles });
      callers.push({
        ...user,
        kind: 'user',
        permissions: permissionsOf(user.roles),
        credential: `Bearer ${await login(user.tenant, user.name, password)}`,
      });
    }
    callers.push({
      name: 'platform-admin',
      tenant: 'platform',
      roles: ['super_admin'],
      permissions: ['*'],
      kind: 'user',
      credential: `Bearer ${adminToken}`,
    });
    const key = (await admin('POST', '/tenants/alpha/api-keys', { name: 'reader-key', scopes: ['orders.read'] })).key;
    callers.push({
      name: 'alpha-key',
      tenant: 'alpha',
      roles: [],
      permissions: ['orders.read'],
      kind: 'api-key',
      credential: `ApiKey ${key}`,
    });
    callers.push({ name: 'anonymous', tenant: '', roles: [], permissions: [], kind: 'anonymous' });
    // Disabled only now: its users above had to be created while it was active.
    await admin('PATCH', '/tenants/delta', { status: 'disabled' }, 200);
    for (const service of SERVICES) {
      services.push(
        await startService('echo-service', portico.adminUrl, {
          SERVICE_NAME: service,
          AUTH_MODE: 'any',
          ENDPOINTS_JSON: JSON.stringify(ENDPOINTS),
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await portico?.stop();
  });

  it('answers every (caller × tenant × route) as the rules say, and never lets a request cross tenants', async () => {
    const cases = callers.flatMap((caller) =>
      NAMED_TENANTS.flatMap((named) =>
        SERVICES.flatMap((service) => REQUESTS.map((route) => ({ caller, named, service, route }))),
      ),
    );
    expect(cases.length).toBe(callers.length * NAMED_TENANTS.length * SERVICES.length * REQUESTS.length);
    const mismatches: string[] = [];
    const crossings: string[] = [];
    const leaks: string[] = [];
    const tally: Record<number, number> = {};
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const { caller, named, service, route } = cases[next++] as (typeof cases)[number];
        const headers: Record<string, string> = { ...SPOOFED };
        if (caller.credential) headers.authorization = caller.credential;
        if (named !== undefined) headers['x-tenant-id'] = named;
        const reply = await request(`${portico.publicUrl}/api/${service}${route.path}`, {
          method: route.method,
          headers,
        });
        const want = expected(caller, named, service, route);
        tally[reply.status] = (tally[reply.status] ?? 0) + 1;
        const label = `${caller.name} → ${named ?? '(own)'} ${route.method} /api/${service}${route.path}`;
        if (reply.status !== want) mismatches.push(`${label}: ${reply.status}, expected ${want} (${reply.text})`);
        if (reply.status >= 400) {
          expect(reply.body?.success, label).toBe(false);
          continue;
        }
        const seen = reply.body.data.headers as Record<string, string | undefined>;
        for (const [name, value] of Object.entries(SPOOFED)) {
          if (seen[name] === value) leaks.push(`${label}: ${name} reached the service`);
        }
        if (
          seen['x-user-id'] !== undefined ||
          seen['x-user-roles'] !== undefined ||
          seen['x-user-tenant'] !== undefined
        ) {
          leaks.push(`${label}: an x-user-* header reached the service`);
        }
        const tenantSeen = seen['x-tenant-id'];
        if (route.public) {
          if (tenantSeen !== undefined) leaks.push(`${label}: a public call carried tenant ${tenantSeen}`);
          continue;
        }
        const superAdmin = caller.roles.includes('super_admin');
        if (tenantSeen !== (named ?? caller.tenant)) crossings.push(`${label}: service saw tenant ${tenantSeen}`);
        if (!superAdmin && tenantSeen !== caller.tenant) crossings.push(`${label}: reached tenant ${tenantSeen}`);
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    expect(mismatches).toEqual([]);
    expect(crossings).toEqual([]);
    expect(leaks).toEqual([]);
    // The matrix is only worth something if it exercises every outcome.
    for (const status of [200, 401, 403, 404]) expect(tally[status], `answers with ${status}`).toBeGreaterThan(20);
  }, 120_000);
});
