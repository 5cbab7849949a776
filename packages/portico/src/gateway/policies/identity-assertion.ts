import { ASSERTION_HEADER } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import { isOpen } from './authentication.js';
import type { GatewayPolicy } from './gateway-policy.js';

/** Per-route settings: none. Every authenticated request carries an assertion. */
export const IdentityAssertionConfig = Type.Object({}, { additionalProperties: false });
export type IdentityAssertionConfig = Static<typeof IdentityAssertionConfig>;

/**
 * Identity assertion (priority 100, last: it speaks for a request every other policy has let
 * through): adds `x-portico-assertion`, a short-lived JWS signed by this gateway whose audience
 * is the target service, naming the caller, the resolved tenant, roles, permissions, scopes and
 * how the caller authenticated. The SDK verifies it; headers a caller made up prove nothing
 * (DESIGN principle 4). Assertions come from a cache, so most requests sign nothing. Anonymous
 * requests to public paths carry none; a service public everywhere has no phase at all.
 *
 * @example
 * ```ts
 * const compile = policyCompiler(BUILT_IN_POLICIES, { identity: view, assertions: new AssertionCache(signer) }, () => undefined);
 * ```
 */
export const identityAssertion: GatewayPolicy<IdentityAssertionConfig> = {
  name: 'identityAssertion',
  priority: 100,
  schema: IdentityAssertionConfig,
  compile(access, _config, env) {
    const assertions = env.assertions;
    // Without identity nothing is authenticated, so there is nobody to speak for.
    if (assertions === undefined || env.identity === undefined || isOpen(access)) return undefined;
    const service = access.service;
    return (exchange) => {
      const principal = exchange.principal;
      if (principal === undefined) return undefined;
      exchange.forward ??= {};
      exchange.forward[ASSERTION_HEADER] = assertions.assertionFor(
        service,
        exchange.tenant?.name ?? principal.tenant,
        principal,
        exchange.authMethod ?? (principal.kind === 'api-key' ? 'api-key' : 'jwt'),
      );
      return undefined;
    };
  },
};
