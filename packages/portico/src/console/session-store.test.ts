import { describe, expect, it } from 'vitest';
import { SessionStore } from './session-store.js';

const PAIR = { accessToken: 'a', refreshToken: 'r', expiresIn: 900 };

describe('SessionStore', () => {
  it('ends a session left idle past the idle limit, and keeps one in use', () => {
    let now = 0;
    const sessions = new SessionStore({ idleMs: 1000, absoluteMs: 10_000 }, () => now);
    const kept = sessions.create(PAIR);
    const idle = sessions.create(PAIR);
    for (now = 900; now <= 1800; now += 900) expect(sessions.get(kept.id)).toBeDefined();
    expect(sessions.get(idle.id)).toBeUndefined();
  });

  it('ends a session at the absolute limit however active it is', () => {
    let now = 0;
    const sessions = new SessionStore({ idleMs: 1000, absoluteMs: 3000 }, () => now);
    const session = sessions.create(PAIR);
    for (now = 500; now <= 3000; now += 500) expect(sessions.get(session.id)).toBeDefined();
    now = 3001;
    expect(sessions.get(session.id)).toBeUndefined();
  });

  it('gives every session its own unguessable id and CSRF token, and forgets a deleted one', () => {
    const sessions = new SessionStore({ idleMs: 1000, absoluteMs: 3000 });
    const one = sessions.create(PAIR);
    const two = sessions.create(PAIR);
    expect(one.id).not.toBe(two.id);
    expect(one.csrf).not.toBe(one.id);
    expect(one.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    sessions.delete(one.id);
    expect(sessions.get(one.id)).toBeUndefined();
    expect(sessions.get(two.id)).toBeDefined();
  });
});
