/**
 * Services push to browsers through the bus, on one real Portico process (embedded bus on
 * PGlite): a publish to `POST /v1/bus/messages` reaches the hub's bus feed and the sockets of
 * that tenant's channel, and no other tenant's; publishing needs `bus.publish` and stays in
 * the caller's tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminCreator, signIn, tenantUser } from './support/admin.js';
import { postJson } from './support/http.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'realtime-bus-admin-password';

/** A subscribed socket and the message frames it got. */
async function subscriber(wsUrl: string, token: string, channel: string) {
  const ws = new WebSocket(`${wsUrl}?token=${token}`);
  const messages: { channel: string; data: unknown; id: string }[] = [];
  let subscribed!: () => void;
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.type === 'authenticated') ws.send(JSON.stringify({ type: 'subscribe', channel }));
    if (frame.type === 'subscribed') subscribed();
    if (frame.type === 'message') messages.push(frame);
  });
  await ready;
  return { ws, messages };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('realtime through the bus', () => {
  let portico: PorticoProc;
  let wsUrl = '';
  let admin = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    wsUrl = `${portico.publicUrl.replace('http', 'ws')}/ws`;
    admin = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, admin);
    for (const tenant of ['acme', 'globex']) tokens[tenant] = await tenantUser(portico, create, tenant);
  }, 90_000);
  afterAll(async () => {
    await portico?.stop();
  });

  const publish = (token: string, body: unknown) =>
    postJson(`${portico.adminUrl}/v1/bus/messages`, body, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });

  it('delivers a published message to the sockets of its tenant only', async () => {
    const acme = await subscriber(wsUrl, tokens.acme as string, 'attendance');
    const globex = await subscriber(wsUrl, tokens.globex as string, 'attendance');
    const sent = await publish(admin, {
      type: 'realtime.publish',
      tenantId: 'acme',
      data: { channel: 'attendance', data: { child: 'c1', present: true } },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.data.duplicate).toBe(false);
    await until(() => acme.messages.length === 1);
    expect(acme.messages[0]).toMatchObject({
      channel: 'tenant:acme:attendance',
      id: sent.body.data.id,
      data: { child: 'c1', present: true },
    });
    // The globex socket is on a channel of the same name in another tenant: nothing arrives.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(globex.messages).toEqual([]);
    acme.ws.close();
    globex.ws.close();
  });

  it('answers a duplicate id with 200 and the first receipt, and delivers it once', async () => {
    const acme = await subscriber(wsUrl, tokens.acme as string, 'dup');
    const body = { type: 'realtime.publish', id: 'once-1', tenantId: 'acme', data: { channel: 'dup', data: 1 } };
    const first = await publish(admin, body);
    const second = await publish(admin, body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.data).toMatchObject({ id: 'once-1', duplicate: true, sequence: first.body.data.sequence });
    await until(() => acme.messages.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acme.messages).toHaveLength(1);
    acme.ws.close();
  });

  it('refuses a caller without bus.publish, another tenant, bad input and no credential', async () => {
    const noPermission = await publish(tokens.acme as string, { type: 'x.y', data: {} });
    expect(noPermission.status).toBe(403);
    expect(noPermission.body.error.code).toBe('AUTHORIZATION_ERROR');
    const anonymous = await postJson(`${portico.adminUrl}/v1/bus/messages`, { type: 'x.y', data: {} });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('AUTHENTICATION_ERROR');
    const wrongType = await publish(admin, { type: 42, data: {} });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('VALIDATION_ERROR');
    const unknownKey = await publish(admin, { type: 'x.y', data: {}, extra: true });
    expect(unknownKey.status).toBe(400);
    const badTopic = await publish(admin, { type: 'not a topic!', data: {} });
    expect(badTopic.status).toBe(400);
    expect(badTopic.body.error.code).toBe('VALIDATION_ERROR');
    const malformed = await fetch(`${portico.adminUrl}/v1/bus/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: '{"type":',
    });
    expect(malformed.status).toBe(400);
  });
});
