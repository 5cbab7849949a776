/**
 * The realtime hub on the admin port: `GET /v1/realtime/connections` and `/v1/realtime/channels`
 * (a platform administrator sees every tenant, a tenant administrator its own) and the hub's
 * Prometheus metrics at `/metrics`. Real processes: an all-in-one Portico, and a gateway started
 * alone (its lean admin server describes the hub of that process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminCreator, signIn } from './support/admin.js';
import { postJson, request } from './support/http.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'realtime-admin-test-password';
const SECRET = 'realtime-admin-cluster-secret-0123456789abcdef';

/** Opens a socket; resolves once subscribed to `channel`, or with the close code if closed first. */
function socket(url: string, channel?: string): Promise<{ ws: WebSocket; closed?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', reject);
    ws.on('close', (code) => resolve({ ws, closed: code }));
    ws.on('open', () => {
      if (channel === undefined) resolve({ ws });
    });
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'authenticated') ws.send(JSON.stringify({ type: 'subscribe', channel }));
      if (frame.type === 'subscribed') resolve({ ws });
    });
  });
}

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe('realtime hub admin routes and metrics', () => {
  let main: PorticoProc;
  let edge: PorticoProc;
  const tokens: Record<string, string> = {};
  const sockets: WebSocket[] = [];
  const wsOf = (p: PorticoProc, token: string) => `${p.publicUrl.replace('http', 'ws')}/ws?token=${token}`;
  const get = (p: PorticoProc, path: string, token?: string) =>
    request(`${p.adminUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  beforeAll(async () => {
    const env = { PORTICO_CLUSTER_SECRET: SECRET, PORTICO_REALTIME_AUTH_DEADLINE_MS: '30000' };
    main = await startPortico({ ...env, PORTICO_ADMIN_PASSWORD: PASSWORD });
    edge = await startPortico({ ...env, PORTICO_REGISTRY_URL: main.adminUrl }, 'gateway');
    tokens.platform = await signIn(main, 'platform', 'admin', PASSWORD);
    const create = adminCreator(main, tokens.platform);
    for (const tenant of ['acme', 'globex']) {
      await create('/tenants', { name: tenant, displayName: tenant, enabledServices: [] });
      await create(`/tenants/${tenant}/users`, { username: 'u', password: 'user-password-1' });
      tokens[tenant] = await signIn(main, tenant, 'u', 'user-password-1');
    }
    await create('/tenants/acme/users', { username: 'boss', password: 'boss-password-1', roles: ['tenant_admin'] });
    tokens.acmeAdmin = await signIn(main, 'acme', 'boss', 'boss-password-1');
  }, 120_000);
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await edge?.stop();
    await main?.stop();
  });

  it('lists connections and channels: all tenants for a platform admin, its own for a tenant admin', async () => {
    for (const [token, channel] of [
      [tokens.acme, 'attendance'],
      [tokens.acme, 'attendance'],
      [tokens.acme, 'menu'],
      [tokens.globex, 'attendance'],
    ] as const) {
      sockets.push((await socket(wsOf(main, token as string), channel)).ws);
    }
    // Connected, not yet authenticated (it has 30 s for an auth frame).
    sockets.push((await socket(`${main.publicUrl.replace('http', 'ws')}/ws`)).ws);

    const all = await get(main, '/v1/realtime/connections', tokens.platform);
    expect(all.status, all.text).toBe(200);
    expect(all.body.data).toEqual({
      total: 5,
      tenants: [
        { tenant: '(unauthenticated)', connections: 1 },
        { tenant: 'acme', connections: 3 },
        { tenant: 'globex', connections: 1 },
      ],
    });
    const channels = await get(main, '/v1/realtime/channels', tokens.platform);
    expect(channels.body.data).toEqual([
      { channel: 'tenant:acme:attendance', tenant: 'acme', subscribers: 2, history: 0 },
      { channel: 'tenant:acme:menu', tenant: 'acme', subscribers: 1, history: 0 },
      { channel: 'tenant:globex:attendance', tenant: 'globex', subscribers: 1, history: 0 },
    ]);

    const own = await get(main, '/v1/realtime/connections', tokens.acmeAdmin);
    expect(own.body.data).toEqual({ total: 3, tenants: [{ tenant: 'acme', connections: 3 }] });
    const ownChannels = await get(main, '/v1/realtime/channels', tokens.acmeAdmin);
    expect(ownChannels.body.data.map((c: { channel: string }) => c.channel)).toEqual([
      'tenant:acme:attendance',
      'tenant:acme:menu',
    ]);
  });

  it('refuses a caller who administers no tenant (403), and one without a valid credential (401)', async () => {
    const user = await get(main, '/v1/realtime/connections', tokens.acme);
    expect(user.status).toBe(403);
    expect(user.body.error.code).toBe('AUTHORIZATION_ERROR');
    const none = await get(main, '/v1/realtime/channels');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('AUTHENTICATION_ERROR');
    const forged = await get(main, '/v1/realtime/channels', `${tokens.platform}x`);
    expect(forged.status).toBe(401);
  });

  it('exports connections, delivered frames and auth failures at /metrics', async () => {
    const before = await (await fetch(`${main.adminUrl}/metrics`)).text();
    expect(metric(before, 'portico_realtime_connections{tenant="acme"}')).toBe(3);
    expect(metric(before, 'portico_realtime_slow_client_disconnects_total')).toBe(0);
    const bad = await socket(wsOf(main, 'not-a-token'));
    await new Promise((resolve) => bad.ws.once('close', resolve));
    const sent = await postJson(
      `${main.adminUrl}/v1/bus/messages`,
      { type: 'realtime.publish', tenantId: 'acme', data: { channel: 'attendance', data: { child: 'c1' } } },
      { headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.platform}` } },
    );
    expect(sent.status).toBe(201);
    // Two subscribers of tenant:acme:attendance.
    const delivered = metric(before, 'portico_realtime_delivered_total') + 2;
    let after = '';
    for (let i = 0; i < 100 && metric(after, 'portico_realtime_delivered_total') !== delivered; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await (await fetch(`${main.adminUrl}/metrics`)).text();
    }
    expect(metric(after, 'portico_realtime_delivered_total')).toBe(delivered);
    expect(metric(after, 'portico_realtime_auth_failures_total')).toBe(
      metric(before, 'portico_realtime_auth_failures_total') + 1,
    );
  });

  it('in a gateway started alone, its lean admin port describes the hub of that process', async () => {
    // The gateway verifies tokens with the keys it follows from identity: retried until it has them.
    let opened: { ws: WebSocket; closed?: number } | undefined;
    for (let i = 0; i < 50 && opened === undefined; i++) {
      const attempt = await socket(wsOf(edge, tokens.globex as string), 'news');
      if (attempt.closed === undefined) opened = attempt;
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(opened).toBeDefined();
    sockets.push((opened as { ws: WebSocket }).ws);
    const reply = await get(edge, '/v1/realtime/connections', tokens.platform);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.data).toEqual({ total: 1, tenants: [{ tenant: 'globex', connections: 1 }] });
    const channels = await get(edge, '/v1/realtime/channels', tokens.platform);
    expect(channels.body.data).toEqual([
      { channel: 'tenant:globex:news', tenant: 'globex', subscribers: 1, history: 0 },
    ]);
    expect((await get(edge, '/v1/realtime/channels', tokens.acme)).status).toBe(403);
    const text = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    expect(metric(text, 'portico_realtime_connections{tenant="globex"}')).toBe(1);
  });
});
