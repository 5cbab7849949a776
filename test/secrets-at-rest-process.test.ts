/**
 * Keys at rest as a user meets them, through the CLI: `portico start` on embedded defaults
 * generates its key file (0600) and says so, and a start without the key or with a wrong one
 * prints one line with the code and the setting to change, then exits with code 2, on the
 * embedded store and on PostgreSQL. Tokens issued before a restart still verify after it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, request } from './support/http.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { PORTICO_BIN, type PorticoProc, spawnNode, startPortico } from './support/processes.js';

const PASSWORD = 'keys-at-rest-admin-password';
const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/** Runs `portico start` expecting it to refuse: its exit code and everything it printed. */
async function refusedStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawnNode([PORTICO_BIN, 'start'], {
    PORTICO_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: '0',
    PORTICO_ADMIN_PORT: '0',
    PORTICO_LOG_LEVEL: 'info',
    ...env,
  });
  const code = await proc.exited;
  return { code, output: proc.lines.join('\n') };
}

async function signIn(portico: PorticoProc): Promise<string> {
  const reply = await postJson(`${portico.publicUrl}/auth/login`, {
    tenant: 'platform',
    username: 'admin',
    password: PASSWORD,
  });
  expect(reply.status, reply.text).toBe(200);
  return reply.body.data.accessToken as string;
}

async function me(portico: PorticoProc, token: string): Promise<number> {
  return (await request(`${portico.publicUrl}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('the embedded store with zero configuration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-keys-'));
  const keyFile = join(dataDir, 'store.key');
  const env = { PORTICO_DATA_DIR: dataDir, PORTICO_ADMIN_PASSWORD: PASSWORD };
  let portico: PorticoProc | undefined;
  afterAll(() => portico?.stop());

  it('generates a private key file, warns, and keeps tokens valid across a restart', async () => {
    portico = await startPortico(env);
    expect(portico.lines.join('\n')).toMatch(/"level":40.*generated the store key file beside the embedded store/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const entry = readFileSync(keyFile, 'utf8')
      .split('\n')
      .find((line) => line !== '' && !line.startsWith('#')) as string;
    expect(entry).toMatch(/^kek-\d{8}-[0-9a-f]{6}:[A-Za-z0-9+/]{43}=$/);
    const token = await signIn(portico);
    expect(await portico.stop()).toBe(0);

    portico = await startPortico(env);
    expect(portico.lines.join('\n')).toContain('using the store key file beside the embedded store');
    expect(await me(portico, token)).toBe(200);
    expect(portico.lines.join('\n')).not.toContain(entry.split(':')[1]);
    expect(await portico.stop()).toBe(0);
    portico = undefined;
  }, 120_000);

  it('refuses to start once the key file is gone, or with a wrong key, and starts again with the file back', async () => {
    const entry = readFileSync(keyFile, 'utf8')
      .split('\n')
      .find((line) => line !== '' && !line.startsWith('#')) as string;
    const id = entry.split(':')[0] as string;
    renameSync(keyFile, `${keyFile}.away`);
    const missing = await refusedStart(env);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(
      new RegExp(
        `^portico: STORE_KEY_MISSING: the store in .* is encrypted with key "${id}", but its key file .*store\\.key is missing; .*PORTICO_STORE_KEYS`,
        'm',
      ),
    );
    const wrong = await refusedStart({ ...env, PORTICO_STORE_KEYS: kek(id) });
    expect(wrong.code).toBe(2);
    expect(wrong.output).toMatch(new RegExp(`^portico: STORE_KEY_WRONG: key "${id}" of PORTICO_STORE_KEYS`, 'm'));
    renameSync(`${keyFile}.away`, keyFile);
    portico = await startPortico(env);
    expect(await me(portico, await signIn(portico))).toBe(200);
  }, 120_000);
});

describe('a PostgreSQL store', () => {
  let pg: PostgresServer;
  let url = '';
  const K1 = kek('k1');
  let portico: PorticoProc | undefined;
  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase('keys');
  }, 60_000);
  afterAll(async () => {
    await portico?.stop();
    await pg?.stop();
  });

  it('refuses to start without a key, naming the variable', async () => {
    const missing = await refusedStart({ PORTICO_DATABASE_URL: url, PORTICO_ADMIN_PASSWORD: PASSWORD });
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/^portico: STORE_KEY_MISSING: a PostgreSQL store .*set PORTICO_STORE_KEYS/m);
  }, 60_000);

  it('starts with the key, and refuses a wrong or unknown one after', async () => {
    const env = { PORTICO_DATABASE_URL: url, PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_STORE_KEYS: K1 };
    portico = await startPortico(env);
    const token = await signIn(portico);
    expect(await portico.stop()).toBe(0);
    portico = undefined;

    const wrong = await refusedStart({ ...env, PORTICO_STORE_KEYS: kek('k1') });
    expect(wrong.code).toBe(2);
    expect(wrong.output).toMatch(/^portico: STORE_KEY_WRONG: /m);
    const unknown = await refusedStart({ ...env, PORTICO_STORE_KEYS: kek('k2') });
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/^portico: STORE_KEY_UNKNOWN: .*"k1".*PORTICO_STORE_KEYS/m);
    const none = await refusedStart({ PORTICO_DATABASE_URL: url });
    expect(none.code).toBe(2);
    expect(none.output).toMatch(/^portico: STORE_KEY_MISSING: the store at .* is encrypted with key "k1"/m);
    for (const output of [wrong.output, unknown.output, none.output]) expect(output).not.toContain(K1.slice(3));

    portico = await startPortico(env);
    expect(await me(portico, token)).toBe(200);
  }, 120_000);
});
