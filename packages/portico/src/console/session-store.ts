import { randomBytes } from 'node:crypto';

/** One signed-in console user: the identity core's token pair, kept server-side only. */
export interface ConsoleSession {
  id: string;
  /** Sent by the page in `x-portico-csrf` on every write; never in a cookie. */
  csrf: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since epoch). */
  accessExpiresAt: number;
  createdAt: number;
  lastSeenAt: number;
}

/** Limits of a console session, from the `console` config section. */
export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
}

/**
 * Console sessions in memory: the browser holds only an opaque id in an HttpOnly cookie, so no
 * token ever reaches page script or localStorage. A restart signs everyone out, which is fine
 * for an operator console (the refresh family stays revocable in the store).
 *
 * @example
 * ```ts
 * const sessions = new SessionStore({ idleMs: 1_800_000, absoluteMs: 43_200_000 });
 * const session = sessions.create(pair);
 * sessions.get(session.id); // undefined once idle or too old
 * ```
 */
export class SessionStore {
  readonly #sessions = new Map<string, ConsoleSession>();
  readonly #limits: SessionLimits;
  readonly #now: () => number;

  constructor(limits: SessionLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  create(pair: { accessToken: string; refreshToken: string; expiresIn: number }): ConsoleSession {
    const now = this.#now();
    this.#prune(now);
    const session: ConsoleSession = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      accessExpiresAt: now + pair.expiresIn * 1000,
      createdAt: now,
      lastSeenAt: now,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session of `id`, touched; undefined (and forgotten) when idle or past its absolute limit. */
  get(id: string): ConsoleSession | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /** Seconds until the session ends if left idle (for the cookie's Max-Age). */
  maxAgeSeconds(session: ConsoleSession): number {
    return Math.max(0, Math.floor((session.createdAt + this.#limits.absoluteMs - this.#now()) / 1000));
  }

  #expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastSeenAt > this.#limits.idleMs || now - session.createdAt > this.#limits.absoluteMs;
  }

  // Bounded memory without a timer: every sign-in sweeps the ended sessions.
  #prune(now: number): void {
    for (const [id, session] of this.#sessions) if (this.#expired(session, now)) this.#sessions.delete(id);
  }
}
