import { authentication } from './authentication.js';
import { authorization } from './authorization.js';
import { cors } from './cors.js';
import { EndpointTable } from './endpoint-table.js';
import type { AccessPhase, GatewayPolicy, PolicyEnvironment, ServiceAccess } from './gateway-policy.js';
import { identityAssertion } from './identity-assertion.js';
import { identityHeaders } from './identity-headers.js';
import type { PolicyChain } from './policy-chain.js';
import { rateLimit } from './rate-limit.js';
import { tenancy } from './tenancy.js';

export {
  type AccessPhase,
  ANSWERED,
  type GatewayPolicy,
  type PolicyDenial,
  type PolicyEnvironment,
  type ServiceAccess,
} from './gateway-policy.js';
export { type ChainOutcome, type PolicyChain, runChain } from './policy-chain.js';
export { type PolicyConfigProblem, policyConfigProblems } from './policy-config.js';
export { PolicyExchange } from './policy-exchange.js';

/**
 * The built-in policies, in chain order (highest priority first): which origins a browser may
 * call from, who is calling, in which tenant, may they, how often, which headers the service
 * gets, and the signed word of it for the service.
 */
// biome-ignore lint/suspicious/noExplicitAny: each policy has its own config type
export const BUILT_IN_POLICIES: readonly GatewayPolicy<any>[] = [
  cors,
  authentication,
  tenancy,
  authorization,
  rateLimit,
  identityHeaders,
  identityAssertion,
];

/** Per-route configuration of one policy for one service, already validated; undefined when unset. */
export type PolicyConfigLookup = (service: string, policy: string) => unknown;

/**
 * Builds the function the routing table calls when a service's access settings change: every
 * policy compiles its phase for the service, and a service no policy applies to gets no chain
 * at all (the gateway then forwards without creating any per-request policy state). A declared
 * route passes its own `policies` as `overrides` and its name as `scope`: a policy named there
 * uses those settings instead of the service's, and keeps its state apart from the service's.
 *
 * @example
 * ```ts
 * const compile = policyCompiler(BUILT_IN_POLICIES, { identity: view }, () => undefined);
 * const table = new RoutingTable(makeBalancer, policyFor, compile);
 * ```
 */
export function policyCompiler(
  policies: readonly GatewayPolicy[],
  env: PolicyEnvironment,
  configFor: PolicyConfigLookup,
): (access: ServiceAccess, overrides?: Record<string, unknown>, scope?: string) => PolicyChain | undefined {
  for (let i = 1; i < policies.length; i++) {
    if ((policies[i] as GatewayPolicy).priority > (policies[i - 1] as GatewayPolicy).priority) {
      throw new Error(`gateway policies out of order: ${(policies[i] as GatewayPolicy).name} must come earlier`);
    }
  }
  return (access, overrides, scope) => {
    const phases: AccessPhase[] = [];
    const names: string[] = [];
    const scoped = scope === undefined ? access : { ...access, scope };
    for (const policy of policies) {
      const own = overrides?.[policy.name];
      const phase =
        own === undefined
          ? policy.compile(access, configFor(access.service, policy.name), env)
          : policy.compile(scoped, own, env);
      if (phase) {
        phases.push(phase);
        names.push(policy.name);
      }
    }
    if (phases.length === 0) return undefined;
    return { access, endpoints: EndpointTable.compile(access.endpoints), phases, names };
  };
}
