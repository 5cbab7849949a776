import { PorticoError } from '@portico/sdk';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../identity.js';
import type { Actor, Principal } from '../model.js';
import { PLATFORM_TENANT } from '../permissions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by `requireBearer` (or `requireCredential`). */
    principal?: Principal;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/**
 * The access token of an `Authorization: Bearer` header, verified; `AUTHENTICATION_ERROR` with a
 * `WWW-Authenticate` challenge when it is missing or invalid.
 *
 * @example
 * ```ts
 * app.addHook('preHandler', requireBearer(identity));
 * ```
 */
export function requireBearer(identity: Identity) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) {
      reply.header('www-authenticate', 'Bearer realm="portico"');
      throw new PorticoError('AUTHENTICATION_ERROR', 'send an access token: Authorization: Bearer <token>');
    }
    try {
      request.principal = await identity.verifier.verify(token);
    } catch (error) {
      reply.header('www-authenticate', 'Bearer realm="portico", error="invalid_token"');
      throw error;
    }
  };
}

/** A bearer token or an API key (`x-api-key`), for routes any credential may call. */
export function requireCredential(identity: Identity) {
  const bearer = requireBearer(identity);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const apiKey = request.headers['x-api-key'];
    if (typeof apiKey === 'string' && request.headers.authorization === undefined) {
      const principal = identity.apiKeyCache.verify(apiKey);
      if (!principal) throw new PorticoError('AUTHENTICATION_ERROR', 'the API key is invalid, expired or revoked');
      request.principal = principal;
      return;
    }
    await bearer(request, reply);
  };
}

/** The verified caller; routes behind `requireBearer` always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new PorticoError('AUTHENTICATION_ERROR', 'not authenticated');
  return request.principal;
}

/** The caller as the audit log records it. */
export function actorOf(request: FastifyRequest): Actor {
  return { principal: principalOf(request), requestId: request.id, ip: request.ip };
}

/** Platform administrators: `super_admin` held by a user of the `platform` tenant. */
export function isSuperAdmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.tenant === PLATFORM_TENANT && principal.roles.includes('super_admin');
}

/** Throws `AUTHORIZATION_ERROR` unless the caller is a platform administrator. */
export function requireSuperAdmin(principal: Principal): void {
  if (!isSuperAdmin(principal)) throw new PorticoError('AUTHORIZATION_ERROR', 'this needs the super_admin role');
}

/**
 * Throws `AUTHORIZATION_ERROR` unless the caller administers `tenant`: a platform administrator,
 * or a `tenant_admin` of that very tenant.
 *
 * @example
 * ```ts
 * requireTenantAdmin(principalOf(request), request.params.tenant);
 * ```
 */
export function requireTenantAdmin(principal: Principal, tenant: string): void {
  if (isSuperAdmin(principal)) return;
  if (principal.kind === 'user' && principal.roles.includes('tenant_admin') && principal.tenant === tenant) return;
  throw new PorticoError('AUTHORIZATION_ERROR', `you may not administer tenant ${tenant}`, { tenant });
}
