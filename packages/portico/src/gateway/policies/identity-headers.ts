import { type Static, Type } from '@sinclair/typebox';
import type { Principal } from '../../identity/model.js';
import { ALWAYS_STRIPPED, HEADER_PATTERN, StrippedHeaders } from '../stripped-headers.js';
import type { GatewayPolicy } from './gateway-policy.js';
import type { PolicyExchange } from './policy-exchange.js';

/** ALWAYS_STRIPPED alone; a name with `_` judged as its dashed form. */
const ALWAYS = new StrippedHeaders([], 'forward');

/** A list of header names and `prefix*` patterns, lower case (`gateway.strippedHeaders`, this policy's lists). */
export const headerPatterns = (options: { maxItems: number; default?: string[] }) =>
  Type.Array(Type.String({ pattern: HEADER_PATTERN, maxLength: 128 }), options);

const HeaderList = headerPatterns({ maxItems: 256 });

/** Per-route settings: `services.{name}.policies.identityHeaders`, `routes[i].policies.identityHeaders`. */
export const IdentityHeadersConfig = Type.Object(
  {
    /** Stripped on this route besides `gateway.strippedHeaders`. */
    strip: Type.Optional(HeaderList),
    /** Forwarded on this route although `gateway.strippedHeaders` lists them (never ALWAYS_STRIPPED). */
    keep: Type.Optional(HeaderList),
    /** Set plain identity headers from the verified caller, for services that cannot verify the assertion. */
    plain: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type IdentityHeadersConfig = Static<typeof IdentityHeadersConfig>;

/**
 * Identity headers (priority 150, after tenancy, authorization and rate limits, so only a
 * request that will be forwarded gets them): a route's own list of request headers kept from
 * its service, and, with `plain: true`, the caller's verified identity as plain headers the way
 * Kong sets them — `x-consumer-id`, `x-consumer-username`, `x-credential-identifier` — and as
 * `x-user-id`, `x-user-name`, `x-user-kind`, `x-user-tenant`, `x-user-roles`,
 * `x-user-permissions`, `x-user-scopes` (lists comma-separated). A caller's own headers of those
 * names never arrive (they are stripped), so a service behind Portico alone may read them; the
 * signed assertion stays the proof for a service others can reach. An anonymous request on a
 * public path carries none. Without settings a route has no phase and uses the gateway's list.
 *
 * @example
 * ```yaml
 * services:
 *   legacy-billing:
 *     policies:
 *       identityHeaders: { plain: true, keep: [x-roles], strip: [x-billing-account] }
 * ```
 */
export const identityHeaders: GatewayPolicy<IdentityHeadersConfig> = {
  name: 'identityHeaders',
  priority: 150,
  schema: IdentityHeadersConfig,
  check(config) {
    return (config.keep ?? []).flatMap((pattern, i) =>
      ALWAYS.has(pattern.replace(/\*$/, ''))
        ? [{ path: `/keep/${i}`, message: `is always stripped (${ALWAYS_STRIPPED.join(', ')})` }]
        : [],
    );
  },
  compile(_access, config, env) {
    if (config === undefined) return undefined;
    const gateway = env.strippedHeaders ?? new StrippedHeaders([]);
    const changed = (config.strip?.length ?? 0) > 0 || (config.keep?.length ?? 0) > 0;
    const stripped = changed ? gateway.adjusted(config.strip ?? [], config.keep ?? []) : undefined;
    const plain = config.plain === true;
    if (stripped === undefined && !plain) return undefined;
    return (exchange) => {
      if (stripped !== undefined) exchange.stripped = stripped;
      if (plain && exchange.principal !== undefined) addPlainHeaders(exchange, exchange.principal);
      return undefined;
    };
  },
};

function addPlainHeaders(exchange: PolicyExchange, principal: Principal): void {
  exchange.forward ??= {};
  const out = exchange.forward;
  const id = headerValue(principal.subject);
  out['x-consumer-id'] = id;
  out['x-user-id'] = id;
  out['x-user-kind'] = principal.kind;
  out['x-user-tenant'] = headerValue(exchange.tenant?.name ?? principal.tenant);
  if (principal.username !== undefined) {
    const name = headerValue(principal.username);
    out['x-consumer-username'] = name;
    out['x-user-name'] = name;
  }
  // Kong names the credential that proved the caller; a user's access token is no stored credential.
  if (principal.kind !== 'user') out['x-credential-identifier'] = id;
  out['x-user-roles'] = headerValue(principal.roles.join(','));
  out['x-user-permissions'] = headerValue(principal.permissions.join(','));
  out['x-user-scopes'] = headerValue(principal.scopes.join(','));
}

/** Identity values are ASCII by their own rules; anything else is percent-encoded, never sent raw. */
function headerValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}
