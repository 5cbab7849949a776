import type { EndpointSpec } from '@portico/sdk';
import { pathOf } from '@portico/sdk';
import type { GatewayRequest, GatewayResponse } from '../../http/gateway-message.js';
import type { Principal, Tenant } from '../../identity/model.js';
import type { RequestTrace } from '../../tracing/request-trace.js';
import type { ServiceRoute } from '../routing-table.js';
import type { StrippedHeaders } from '../stripped-headers.js';
import type { PolicyChain } from './policy-chain.js';

/** How the caller proved who it is. */
export type AuthMethod = 'jwt' | 'api-key';

/**
 * One request on its way through a service's policy chain: what the policies read (request,
 * service-relative path, the matching endpoint) and what they leave for the next ones (the
 * principal, the tenant). Created only for a service whose chain is not empty.
 *
 * @example
 * ```ts
 * const phase: AccessPhase = (exchange) =>
 *   exchange.endpoint?.public ? undefined : { code: 'AUTHENTICATION_ERROR', message: 'sign in first' };
 * ```
 */
export class PolicyExchange {
  readonly method: string;
  /** The path after `/api/{service}`, without the query, still encoded. */
  readonly path: string;
  principal: Principal | undefined;
  authMethod: AuthMethod | undefined;
  tenant: Tenant | undefined;
  /** Headers the gateway adds to the forwarded request (the caller's same-named ones are replaced). */
  forward: Record<string, string> | undefined;
  /**
   * Headers the gateway adds to its answer to the caller, whoever writes that answer (lower-case
   * names). Collected here rather than set on the response: the forward merges them into the
   * service's headers in one pass, which Node's `setHeader` followed by `writeHead` cannot do.
   */
  answer: Record<string, string> | undefined;
  /** The route's own list of request headers not forwarded; undefined = the gateway's list. */
  stripped: StrippedHeaders | undefined;
  /** The request's spans, carried to the forward; only when tracing is on. */
  trace: RequestTrace | undefined;
  #endpoint: EndpointSpec | undefined | null = null;

  constructor(
    readonly req: GatewayRequest,
    readonly res: GatewayResponse,
    readonly route: ServiceRoute,
    readonly chain: PolicyChain,
    /** The forwarded path and query. */
    readonly rest: string,
    readonly requestId: string,
  ) {
    this.method = req.method as string;
    this.path = pathOf(rest);
  }

  /** The service's endpoint for this method and path (looked up once, on first use). */
  get endpoint(): EndpointSpec | undefined {
    if (this.#endpoint === null) this.#endpoint = this.chain.endpoints.match(this.method, this.path);
    return this.#endpoint;
  }
}
