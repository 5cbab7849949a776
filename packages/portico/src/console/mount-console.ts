import type { FastifyInstance } from 'fastify';
import type { Identity } from '../identity/identity.js';
import { installSessionAuth } from './session-auth.js';
import { sessionRoutes } from './session-routes.js';
import { SessionStore } from './session-store.js';
import { staticRoutes } from './static-routes.js';

/** The `console` config section, as the admin server receives it. */
export interface ConsoleOptions {
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
}

/**
 * Mounts the console on the full admin server: its static files at `/console/`, and, when this
 * process holds identity, the session routes and the cookie as a way to call the admin API.
 * Call before the admin routes are registered, so the session hook runs in front of them.
 *
 * @example
 * ```ts
 * mountConsole(app, { sessionIdleSeconds: 1800, sessionAbsoluteSeconds: 43200 }, identity);
 * ```
 */
export function mountConsole(app: FastifyInstance, options: ConsoleOptions, identity?: Identity): void {
  staticRoutes(app);
  if (!identity) return;
  const sessions = new SessionStore({
    idleMs: options.sessionIdleSeconds * 1000,
    absoluteMs: options.sessionAbsoluteSeconds * 1000,
  });
  installSessionAuth(app, identity, sessions);
  sessionRoutes(app, identity, sessions);
}
