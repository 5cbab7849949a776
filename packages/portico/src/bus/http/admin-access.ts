import { type BusAdminPort, type BusPort, PorticoError, permissionCovers, type TopicInfo } from '@portico/sdk';
import { Type } from '@sinclair/typebox';
import type { Principal } from '../../identity/model.js';
import { PLATFORM_TENANT } from '../../identity/permissions.js';
import { BusError } from '../errors.js';
import { checkTopic } from '../topic.js';

/** The permission of the bus admin API; `bus.*` and `*` (super_admin, tenant_admin) cover it. */
export const BUS_ADMIN_PERMISSION = 'bus.admin';

/** A group name as the adapters take it. */
export const GroupName = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,200}$' });

/** `:topic` in a path. */
export const TopicParams = Type.Object({ topic: Type.String({ minLength: 1, maxLength: 200 }) });

/**
 * What a caller may see of the bus: a principal of the platform tenant sees everything; anyone
 * else only the dead letters whose message carries their tenant. Topic-level figures (sizes,
 * group lag, purging a topic) mix every tenant's messages, so they are the platform's only.
 */
export interface BusAdminScope {
  platform: boolean;
  /** Set for a tenant's caller: every dead-letter call is narrowed to it. */
  tenant?: string;
}

/** The caller's scope, after checking it holds `bus.admin`. */
export function adminScope(principal: Principal): BusAdminScope {
  if (!principal.permissions.some((granted) => permissionCovers(granted, BUS_ADMIN_PERMISSION))) {
    throw new PorticoError('AUTHORIZATION_ERROR', `the bus admin API needs the ${BUS_ADMIN_PERMISSION} permission`);
  }
  return principal.tenant === PLATFORM_TENANT ? { platform: true } : { platform: false, tenant: principal.tenant };
}

/** Throws `AUTHORIZATION_ERROR` unless the scope is the platform's. */
export function requirePlatform(scope: BusAdminScope): void {
  if (!scope.platform) {
    throw new PorticoError(
      'AUTHORIZATION_ERROR',
      'topic figures and purges span tenants: platform administrators only',
    );
  }
}

/** The admin side of a bus; a bus without it answers 404 on every admin route. */
export function adminOf(bus: BusPort): BusAdminPort {
  const candidate = bus as BusPort & Partial<BusAdminPort>;
  if (typeof candidate.topicInfo !== 'function' || typeof candidate.purgeTopic !== 'function') {
    throw new PorticoError('NOT_FOUND', 'this bus adapter has no admin API');
  }
  return candidate as BusAdminPort;
}

/**
 * The topic of a path, checked (a bad name is `400 VALIDATION_ERROR` with `details.code`
 * `BUS_INPUT_INVALID`), and its figures; `404 NOT_FOUND` when the bus has no such topic.
 */
export async function knownTopic(admin: BusAdminPort, topic: string): Promise<TopicInfo> {
  try {
    checkTopic(topic);
  } catch (error) {
    throw asClientError(error);
  }
  const info = await admin.topicInfo(topic);
  if (!info) throw new PorticoError('NOT_FOUND', `the bus has no topic ${topic}`, { topic });
  return info;
}

/** A `BusError` of the caller's making as `400 VALIDATION_ERROR`; anything else unchanged. */
export function asClientError(error: unknown): unknown {
  if (error instanceof BusError && error.status < 500) {
    return new PorticoError('VALIDATION_ERROR', error.message, { code: error.code });
  }
  return error;
}
