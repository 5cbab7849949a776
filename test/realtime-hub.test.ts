/**
 * The realtime hub on a real Portico process, with real `ws` clients: credentials from the
 * identity admin API, forged tokens from jose. Delivery through the bus is in
 * test/realtime-bus.test.ts (real embedded bus) and test/realtime-delivery.test.ts (fake bus).
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminCreator, signIn, tenantUser } from './support/admin.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'realtime-hub-admin-password';

/** A socket and every frame it got, with helpers that wait (bounded) for a frame or the close. */
function connect(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const frames: { type: string; [k: string]: unknown }[] = [];
  ws.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const frame = async (type: string, timeoutMs = 5_000) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const found = frames.find((f) => f.type === type);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no ${type} frame; got ${JSON.stringify(frames)}`);
  };
  const send = (value: unknown) => ws.send(JSON.stringify(value));
  return { ws, frames, closed, opened, frame, send };
}

describe('realtime hub', () => {
  let portico: PorticoProc;
  let wsUrl = '';
  const tokens: Record<string, string> = {};
  let apiKey = '';

  beforeAll(async () => {
    portico = await startPortico({
      PORTICO_ADMIN_PASSWORD: PASSWORD,
      PORTICO_REALTIME_AUTH_DEADLINE_MS: '300',
      PORTICO_REALTIME_PING_INTERVAL_MS: '200',
    });
    wsUrl = `${portico.publicUrl.replace('http', 'ws')}/ws`;
    const admin = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, admin);
    for (const tenant of ['acme', 'globex']) tokens[tenant] = await tenantUser(portico, create, tenant);
    apiKey = (await create('/tenants/acme/api-keys', { name: 'k' })).key;
  }, 90_000);
  afterAll(async () => {
    await portico?.stop();
  });

  it('authenticates with ?token=, an Authorization header, an API key, or an auth message', async () => {
    const byQuery = connect(`${wsUrl}?token=${tokens.acme}`);
    expect((await byQuery.frame('authenticated')).tenant).toBe('acme');
    const byHeader = connect(wsUrl, { authorization: `Bearer ${tokens.globex}` });
    expect((await byHeader.frame('authenticated')).tenant).toBe('globex');
    const byKey = connect(wsUrl, { 'x-api-key': apiKey });
    expect((await byKey.frame('authenticated')).tenant).toBe('acme');
    const byMessage = connect(wsUrl);
    await byMessage.opened;
    byMessage.send({ type: 'auth', token: tokens.acme });
    const done = await byMessage.frame('authenticated');
    expect(done.tenant).toBe('acme');
    expect(typeof done.expiresAt).toBe('number');
    for (const c of [byQuery, byHeader, byKey, byMessage]) c.ws.close();
  });

  it('closes 4401 on a bad, forged or expired token, and when no auth message comes in time', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const kid = JSON.parse(Buffer.from((tokens.acme as string).split('.')[0] as string, 'base64url').toString()).kid;
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ tenant: 'acme', roles: [], permissions: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setSubject('intruder')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const expired = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setExpirationTime(now - 60)
      .sign(privateKey);
    for (const token of ['not-a-token', forged, expired, `${tokens.acme}x`]) {
      const bad = connect(`${wsUrl}?token=${token}`);
      expect((await bad.closed).code, token).toBe(4401);
      expect(bad.frames.some((f) => f.type === 'authenticated')).toBe(false);
    }
    const badMessage = connect(wsUrl);
    await badMessage.opened;
    badMessage.send({ type: 'auth', token: forged });
    expect((await badMessage.closed).code).toBe(4401);
    const silent = connect(wsUrl);
    const started = Date.now();
    const closed = await silent.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/deadline/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const early = connect(wsUrl);
    await early.opened;
    early.send({ type: 'subscribe', channel: 'attendance' });
    expect((await early.closed).code).toBe(4401);
  });

  it('subscribes within the tenant and refuses another tenant with an error frame', async () => {
    const c = connect(`${wsUrl}?token=${tokens.acme}`);
    await c.frame('authenticated');
    c.send({ type: 'subscribe', channel: 'attendance' });
    expect((await c.frame('subscribed')).channel).toBe('tenant:acme:attendance');
    c.send({ type: 'subscribe', channel: 'tenant:globex:attendance' });
    const refused = await c.frame('error');
    expect(refused.code).toBe('AUTHORIZATION_ERROR');
    expect(refused.channel).toBe('tenant:globex:attendance');
    c.send({ type: 'subscribe', channel: 'bad channel!' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(c.frames.filter((f) => f.type === 'error').map((f) => f.code)).toEqual([
      'AUTHORIZATION_ERROR',
      'VALIDATION_ERROR',
    ]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.send({ type: 'nonsense' });
    expect((await c.closed).code).toBe(4400);
  });

  it('pings: a client that answers stays, one that cannot answer is terminated', async () => {
    const alive = connect(`${wsUrl}?token=${tokens.acme}`);
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    await alive.frame('authenticated');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    // ws answers pings itself; a socket whose reading is paused cannot, and is cut off.
    const dead = connect(`${wsUrl}?token=${tokens.acme}`);
    await dead.frame('authenticated');
    dead.ws.pause();
    // Two ping periods without a pong: the hub terminates it; the client sees it once it reads again.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    dead.ws.resume();
    expect((await dead.closed).code).toBe(1006);
    alive.ws.close();
  });

  it('answers an upgrade on an unknown path with a 404 envelope, before switching protocols', async () => {
    const c = new WebSocket(`${portico.publicUrl.replace('http', 'ws')}/nope`);
    const status = await new Promise<number>((resolve) => {
      c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      c.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });
});
