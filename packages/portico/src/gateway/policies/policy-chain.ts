import type { EndpointTable } from './endpoint-table.js';
import {
  type AccessPhase,
  ANSWERED,
  type PolicyDenial,
  type PolicyVerdict,
  type ServiceAccess,
} from './gateway-policy.js';
import type { PolicyExchange } from './policy-exchange.js';

/** A service's compiled policies: the phases that apply to it, in chain order. */
export interface PolicyChain {
  readonly access: ServiceAccess;
  readonly endpoints: EndpointTable;
  readonly phases: readonly AccessPhase[];
  /** Names of the policies in `phases`, same order: for the gateway view and logs. */
  readonly names: readonly string[];
}

/** What happens after the chain: the request goes on, or is answered with the denial. */
export interface ChainOutcome {
  pass(exchange: PolicyExchange): void;
  deny(exchange: PolicyExchange, denial: PolicyDenial): void;
  /** A phase threw or rejected: a bug, answered 500 and logged. */
  fail(exchange: PolicyExchange, error: unknown): void;
}

/**
 * Runs the phases in order, synchronously while they answer at once; a phase that returns a
 * promise resumes the chain when it settles. A caller that went away meanwhile is not forwarded.
 *
 * @example
 * ```ts
 * runChain(new PolicyExchange(req, res, route, chain, rest, requestId), outcome);
 * ```
 */
export function runChain(exchange: PolicyExchange, outcome: ChainOutcome, from = 0): void {
  const phases = exchange.chain.phases;
  for (let i = from; i < phases.length; i++) {
    let verdict: PolicyVerdict | Promise<PolicyVerdict>;
    try {
      verdict = (phases[i] as AccessPhase)(exchange);
    } catch (error) {
      outcome.fail(exchange, error);
      return;
    }
    if (verdict === undefined) continue;
    if (verdict instanceof Promise) {
      verdict.then(
        (settled) => {
          if (exchange.res.destroyed || exchange.res.writableEnded) return;
          if (settled === undefined) runChain(exchange, outcome, i + 1);
          else if (settled !== ANSWERED) outcome.deny(exchange, settled);
        },
        (error: unknown) => outcome.fail(exchange, error),
      );
      return;
    }
    if (verdict !== ANSWERED) outcome.deny(exchange, verdict);
    return;
  }
  outcome.pass(exchange);
}
