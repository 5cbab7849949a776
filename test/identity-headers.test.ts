/**
 * Headers that claim an identity, end to end through a real Portico process to real services:
 * the ones other gateways and identity proxies set (Kong's `x-consumer-*`, oauth2-proxy's,
 * `x-roles`, ...) and their `_` look-alikes never reach a service; a route may keep some or strip
 * more; and, asked to, the gateway sets plain identity headers from the verified caller.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STRIPPED_HEADERS } from '../packages/portico/src/gateway/stripped-headers.js';
import { adminCreator, signIn } from './support/admin.js';
import { request } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'identity-headers-admin-password';
const ENDPOINTS = JSON.stringify([{ method: 'GET', path: '/public/*', public: true }]);
const CONFIG = `
services:
  hdrplain:
    policies:
      identityHeaders: { plain: true }
  hdrkeep:
    policies:
      identityHeaders: { keep: [x-roles, x_legacy_ts], strip: [x-legacy-user] }
routes:
  - name: legacy
    paths: ['/legacy/*']
    service: hdrdefault
    stripPrefix: /legacy
    policies:
      identityHeaders: { keep: ['x-consumer-*'] }
`;

/**
 * One made-up value for every default pattern (a prefix gets a name under it), and the core ones
 * (`x-tenant-id` is an input the tenancy policy reads, then replaces: checked on its own).
 */
const spoofed: Record<string, string> = Object.fromEntries(
  [...DEFAULT_STRIPPED_HEADERS, 'x-user-id', 'x-user-roles', 'x-portico-caller'].map((pattern) => [
    pattern.endsWith('*') ? `${pattern.slice(0, -1)}${pattern.endsWith('-*') ? 'id' : '-id'}` : pattern,
    'super_admin',
  ]),
);
/** Names a WSGI, Rack or PHP service reads as the dashed ones. */
const underscored = {
  x_user_id: 'u-admin',
  x_consumer_id: 'admin',
  x_portico_assertion: 'forged',
  transfer_encoding: 'chunked',
  x_custom_note: 'kept only when asked',
};

describe('identity-carrying request headers', () => {
  let portico: PorticoProc;
  const services: ServiceProc[] = [];
  let carol = '';
  let carolId = '';
  let apiKey = '';
  let apiKeyId = '';

  const headersSeen = async (path: string, headers: Record<string, string>): Promise<Record<string, string>> => {
    const reply = await request(`${portico.publicUrl}${path}`, { headers });
    expect(reply.status, reply.text).toBe(200);
    return reply.body.data.headers;
  };
  const identityNamesIn = (headers: Record<string, string>) =>
    Object.keys(headers).filter((name) => name in spoofed || name in underscored || name === 'x-tenant-id');

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-identity-headers-'));
    writeFileSync(join(dir, 'portico.yaml'), CONFIG);
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_CONFIG: join(dir, 'portico.yaml') });
    const create = adminCreator(portico, await signIn(portico, 'platform', 'admin', PASSWORD));
    await create('/tenants', {
      name: 'acme',
      displayName: 'Acme',
      enabledServices: ['hdrdefault', 'hdrplain', 'hdrkeep'],
    });
    await create('/tenants/acme/roles', { name: 'clerk', permissions: ['orders.read'] });
    carolId = (
      await create('/tenants/acme/users', { username: 'carol', password: 'carol-password-1', roles: ['clerk'] })
    ).id;
    const key = await create('/tenants/acme/api-keys', { name: 'k', scopes: ['orders.read'] });
    apiKey = key.key;
    apiKeyId = key.id;
    carol = await signIn(portico, 'acme', 'carol', 'carol-password-1');
    for (const name of ['hdrdefault', 'hdrplain', 'hdrkeep']) {
      services.push(
        await startService('identity-service', portico.adminUrl, { SERVICE_NAME: name, ENDPOINTS_JSON: ENDPOINTS }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await portico?.stop();
  });

  it('strips every default identity header and every name with an underscore, signed in or not', async () => {
    const sent = { ...spoofed, ...underscored, 'x-custom': 'passes', accept: 'application/json' };
    const signedIn = await headersSeen('/api/hdrdefault/orders', { ...sent, authorization: `Bearer ${carol}` });
    expect(identityNamesIn(signedIn)).toEqual(['x-tenant-id']);
    expect(signedIn['x-tenant-id']).toBe('acme');
    expect(signedIn['x-custom']).toBe('passes');
    const anonymous = await headersSeen('/api/hdrdefault/public/page', { ...sent, 'x-tenant-id': 'acme' });
    expect(identityNamesIn(anonymous)).toEqual([]);
    expect(anonymous['x-custom']).toBe('passes');
  });

  it('sets no plain identity headers unless the route asks', async () => {
    const seen = await headersSeen('/api/hdrdefault/orders', { authorization: `Bearer ${carol}` });
    expect(seen['x-consumer-id']).toBeUndefined();
    expect(seen['x-user-id']).toBeUndefined();
  });

  it('sets plain identity headers from the verified caller when the route asks (Kong-style)', async () => {
    const user = await headersSeen('/api/hdrplain/orders', { ...spoofed, authorization: `Bearer ${carol}` });
    expect(user).toMatchObject({
      'x-consumer-id': carolId,
      'x-consumer-username': 'carol',
      'x-user-id': carolId,
      'x-user-name': 'carol',
      'x-user-kind': 'user',
      'x-user-tenant': 'acme',
      'x-user-roles': 'clerk',
      'x-user-permissions': 'orders.read',
      'x-tenant-id': 'acme',
    });
    expect(user['x-credential-identifier']).toBeUndefined();
    expect(user['x-roles']).toBeUndefined();

    const key = await headersSeen('/api/hdrplain/orders', { 'x-api-key': apiKey, 'x-consumer-id': 'admin' });
    expect(key).toMatchObject({
      'x-consumer-id': apiKeyId,
      'x-credential-identifier': apiKeyId,
      'x-user-kind': 'api-key',
      'x-user-scopes': 'orders.read',
    });

    const anonymous = await headersSeen('/api/hdrplain/public/page', spoofed);
    expect(identityNamesIn(anonymous)).toEqual([]);
  });

  it('lets a service keep some headers and strip more, but never the core ones', async () => {
    const seen = await headersSeen('/api/hdrkeep/orders', {
      ...spoofed,
      ...underscored,
      'x-legacy-user': 'mallory',
      authorization: `Bearer ${carol}`,
    });
    expect(seen['x-roles']).toBe('super_admin');
    expect(seen.x_legacy_ts).toBeUndefined(); // not sent
    expect(seen['x-legacy-user']).toBeUndefined();
    expect(seen['x-consumer-id']).toBeUndefined();
    expect(seen['x-user-id']).toBeUndefined();
    const kept = await headersSeen('/api/hdrkeep/orders', { x_legacy_ts: '1', authorization: `Bearer ${carol}` });
    expect(kept.x_legacy_ts).toBe('1');
  });

  it('lets a declared route keep headers its service strips', async () => {
    const seen = await headersSeen('/legacy/orders', { ...spoofed, authorization: `Bearer ${carol}` });
    expect(seen['x-consumer-id']).toBe('super_admin');
    expect(seen['x-roles']).toBeUndefined();
    expect(seen['x-user-id']).toBeUndefined();
  });
});
