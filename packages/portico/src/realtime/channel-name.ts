import type { Principal } from '../identity/model.js';

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Why a subscription is refused, as the error frame names it. */
export type ChannelRefusal = { code: 'VALIDATION_ERROR' | 'AUTHORIZATION_ERROR'; message: string };

/**
 * Resolves what a client asked for to the full channel `tenant:<tenant>:<name>`: a bare `<name>`
 * is the caller's own tenant; a full name must name the caller's tenant, and `permission`
 * (when set) must be among the caller's permissions.
 *
 * @example
 * ```ts
 * channelFor('attendance', principal, ''); // 'tenant:acme:attendance'
 * channelFor('tenant:other:attendance', principal, ''); // { code: 'AUTHORIZATION_ERROR', … }
 * ```
 */
export function channelFor(asked: unknown, principal: Principal, permission: string): string | ChannelRefusal {
  if (typeof asked !== 'string') return { code: 'VALIDATION_ERROR', message: 'channel must be a string' };
  let tenant = principal.tenant;
  let name = asked;
  if (asked.startsWith('tenant:')) {
    const parts = asked.split(':');
    if (parts.length !== 3) return { code: 'VALIDATION_ERROR', message: 'channel must be tenant:<tenant>:<name>' };
    tenant = parts[1] as string;
    name = parts[2] as string;
  }
  if (!NAME.test(name)) return { code: 'VALIDATION_ERROR', message: 'channel name must match [A-Za-z0-9_.-]{1,128}' };
  if (tenant !== principal.tenant) {
    return { code: 'AUTHORIZATION_ERROR', message: `channel of tenant ${tenant}: you belong to ${principal.tenant}` };
  }
  if (permission !== '' && !principal.permissions.includes(permission)) {
    return { code: 'AUTHORIZATION_ERROR', message: `subscribing needs the permission ${permission}` };
  }
  return `tenant:${tenant}:${name}`;
}
