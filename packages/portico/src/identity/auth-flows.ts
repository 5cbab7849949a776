import { PorticoError } from '@portico/sdk';
import type { Selectable } from 'kysely';
import type { UsersTable } from '../store/database.js';
import type { Identity } from './identity.js';
import type { Principal, TokenPair } from './model.js';
import { expandRoles } from './permissions.js';

/** One answer for every failed login, whatever failed: nothing to enumerate users or tenants with. */
const INVALID_CREDENTIALS = 'invalid tenant, username or password';
const INVALID_REFRESH = 'the refresh token is invalid, expired or revoked';

/** What the caller of a flow is, for throttling and audit. */
export interface CallerContext {
  ip: string;
  requestId?: string;
}

/**
 * The sign-in flows of the public port: login, refresh, logout, self-service. Each is a method,
 * so tests can run it without HTTP and the routes stay thin.
 *
 * @example
 * ```ts
 * const flows = new AuthFlows(identity);
 * const pair = await flows.login({ tenant: 'acme', username: 'alice', password: '…' }, { ip: '127.0.0.1' });
 * const next = await flows.refresh(pair.refreshToken, { ip: '127.0.0.1' });
 * ```
 */
export class AuthFlows {
  readonly #identity: Identity;

  constructor(identity: Identity) {
    this.#identity = identity;
  }

  async login(
    input: { tenant: string; username: string; password: string },
    caller: CallerContext,
  ): Promise<TokenPair> {
    const { tenants, users, passwords, throttle } = this.#identity;
    const username = input.username.toLowerCase();
    const decision = await throttle.begin(`${input.tenant}/${username}`, caller.ip);
    if (!decision.allowed) {
      throw new PorticoError('RATE_LIMITED', 'too many failed logins; try again later', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    let user: Selectable<UsersTable> | undefined;
    let verified = false;
    try {
      const tenant = await tenants.get(input.tenant);
      user = tenant ? await users.byUsername(tenant.name, username) : undefined;
      // Exactly one argon2 verification on every path, so the time taken does not say which part was wrong.
      verified = user
        ? await passwords.verify(user.password_hash, input.password)
        : await passwords.verifyNothing(input.password);
      verified = verified && user?.active === true && tenant?.status === 'active';
    } finally {
      await (verified ? decision.succeeded() : decision.failed());
    }
    if (!verified || !user) throw new PorticoError('AUTHENTICATION_ERROR', INVALID_CREDENTIALS);
    const rehashed = passwords.needsRehash(user.password_hash) ? await passwords.hash(input.password) : undefined;
    await users.loggedIn(user.id, rehashed);
    const refresh = await this.#identity.refreshTokens.issue(user.id, user.tenant);
    return this.#pair(user, refresh.token, refresh.familyId);
  }

  async refresh(token: string, caller: CallerContext): Promise<TokenPair> {
    const { refreshTokens, users, tenants, audit } = this.#identity;
    const result = await refreshTokens.rotate(token);
    if (!result.ok) {
      if (result.reason === 'reused' && result.familyId) {
        await this.#identity.revokeSessionTokens(result.familyId);
        const user = result.userId ? await this.#userById(result.userId) : undefined;
        await audit.record('system', {
          action: 'session.reuse_detected',
          tenant: user?.tenant ?? null,
          target: result.userId ?? 'unknown',
          changes: { session: result.familyId, ip: caller.ip },
        });
      }
      throw new PorticoError('AUTHENTICATION_ERROR', INVALID_REFRESH);
    }
    const { issued } = result;
    const user = await users.byId(issued.tenant, issued.userId);
    const tenant = await tenants.get(issued.tenant);
    if (!user?.active || tenant?.status !== 'active') {
      await refreshTokens.revokeFamily(issued.familyId);
      throw new PorticoError('AUTHENTICATION_ERROR', INVALID_REFRESH);
    }
    return this.#pair(user, issued.token, issued.familyId);
  }

  /** Ends the session `token` belongs to. Like RFC 7009, an unknown token is not an error. */
  async logout(token: string): Promise<{ loggedOut: boolean }> {
    const family = await this.#identity.refreshTokens.revokeByToken(token);
    if (!family) return { loggedOut: false };
    await this.#identity.revokeSessionTokens(family.familyId);
    return { loggedOut: true };
  }

  /** Who the caller is: the user's current profile, or a client's / API key's principal. */
  async me(principal: Principal): Promise<Record<string, unknown>> {
    if (principal.kind !== 'user') {
      return { kind: principal.kind, id: principal.subject, tenant: principal.tenant, scopes: principal.scopes };
    }
    const user = await this.#identity.users.byId(principal.tenant, principal.subject);
    if (!user?.active) throw new PorticoError('AUTHENTICATION_ERROR', 'the access token is invalid or expired');
    const custom = await this.#identity.roles.permissionMap(user.tenant);
    return {
      kind: 'user',
      id: user.id,
      tenant: user.tenant,
      username: user.username,
      email: user.email,
      roles: user.roles,
      permissions: expandRoles(user.roles, custom),
      lastLoginAt: user.last_login_at?.toISOString() ?? null,
    };
  }

  /** Changes the caller's own password; every session of the user ends, this one included. */
  async changePassword(principal: Principal, current: string, next: string, caller: CallerContext): Promise<void> {
    const { users, passwords, audit, refreshTokens } = this.#identity;
    if (principal.kind !== 'user') throw new PorticoError('AUTHORIZATION_ERROR', 'only users have passwords');
    const user = await users.require(principal.tenant, principal.subject);
    if (!(await passwords.verify(user.password_hash, current))) {
      throw new PorticoError('AUTHENTICATION_ERROR', 'the current password is wrong');
    }
    await users.update(user.tenant, user.id, { passwordHash: await passwords.hash(next) });
    await refreshTokens.revokeUser(user.id);
    await this.#identity.revokeUserTokens(user.id);
    await audit.record(
      { principal, ip: caller.ip, ...(caller.requestId ? { requestId: caller.requestId } : {}) },
      { action: 'user.password_change', tenant: user.tenant, target: user.id, changes: { password: true } },
    );
  }

  async #userById(id: string) {
    return this.#identity.store.db.selectFrom('users').select(['id', 'tenant']).where('id', '=', id).executeTakeFirst();
  }

  async #pair(user: Selectable<UsersTable>, refreshToken: string, familyId: string): Promise<TokenPair> {
    const custom = await this.#identity.roles.permissionMap(user.tenant);
    const principal: Principal = {
      kind: 'user',
      subject: user.id,
      tenant: user.tenant,
      roles: user.roles,
      permissions: expandRoles(user.roles, custom),
      scopes: [],
      username: user.username,
      sessionId: familyId,
    };
    const access = await this.#identity.issuer.issue(principal, this.#identity.revocations.issuedAtFor(user.id));
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }
}
