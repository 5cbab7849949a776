/**
 * Setting up tenants, users, roles and keys through a real Portico's APIs, as an operator would:
 * sign in, then create through the admin API.
 */
import { expect } from 'vitest';
import { type Json, postJson } from './http.js';
import type { PorticoProc } from './processes.js';

/**
 * Signs in at the public port (`POST /auth/login`) and returns the access token; fails the test
 * when the login is refused.
 *
 * @example
 * ```ts
 * const token = await signIn(portico, 'platform', 'admin', PASSWORD);
 * ```
 */
export async function signIn(
  portico: PorticoProc,
  tenant: string,
  username: string,
  password: string,
): Promise<string> {
  const reply = await postJson(`${portico.publicUrl}/auth/login`, { tenant, username, password });
  expect(reply.status, `login ${tenant}/${username}: ${reply.text}`).toBe(200);
  return reply.body.data.accessToken;
}

/**
 * A function that POSTs to the admin API (`/v1/admin{path}`) as `token`, expects 201 and returns
 * the envelope's data.
 *
 * @example
 * ```ts
 * const create = adminCreator(portico, token);
 * await create('/tenants', { name: 'acme', displayName: 'Acme', enabledServices: ['orders'] });
 * ```
 */
export function adminCreator(portico: PorticoProc, token: string): (path: string, body: unknown) => Promise<Json> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return async (path, body) => {
    const reply = await postJson(`${portico.adminUrl}/v1/admin${path}`, body, { headers });
    expect(reply.status, `${path}: ${reply.text}`).toBe(201);
    return reply.body.data;
  };
}

/**
 * Creates `tenant` (no services) with one user `u` and returns that user's access token.
 *
 * @example
 * ```ts
 * const acmeToken = await tenantUser(portico, adminCreator(portico, admin), 'acme');
 * ```
 */
export async function tenantUser(
  portico: PorticoProc,
  create: (path: string, body: unknown) => Promise<Json>,
  tenant: string,
): Promise<string> {
  await create('/tenants', { name: tenant, displayName: tenant, enabledServices: [] });
  await create(`/tenants/${tenant}/users`, { username: 'u', password: 'user-password-1' });
  return signIn(portico, tenant, 'u', 'user-password-1');
}
