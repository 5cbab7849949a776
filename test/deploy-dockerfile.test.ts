/**
 * The Dockerfile, without a Docker daemon: its build stage's RUN steps run as shell commands, in
 * order, on a clean clone of this repository with the `.dockerignore`d paths removed (what the
 * build context holds); the runtime stage's files (the `../image` directory the last step
 * gathers) are then started with the image's ENTRYPOINT, CMD and ENV, and the image's own
 * HEALTHCHECK command must pass. Slow (a real `npm ci` and build, minutes on a small machine), so
 * it is the only test of its kind.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from './support/http.js';
import { type Proc, ROOT, spawnNode } from './support/processes.js';

const run = promisify(execFile);

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

/** The Dockerfile's instructions with their stage, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  let stage = '';
  const out: Instruction[] = [];
  for (const line of joined.split('\n')) {
    const match = /^([A-Z]+)\s+(.*)$/.exec(line.trim());
    if (!match || line.trim().startsWith('#')) continue;
    const [, op, args] = match as unknown as [string, string, string];
    if (op === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '';
    out.push({ stage, op, args });
  }
  return out;
}

const exec = (args: string) => JSON.parse(args) as string[];

describe('Dockerfile build steps on a clean clone', () => {
  const work = mkdtempSync(join(tmpdir(), 'portico-image-'));
  const app = join(work, 'app');
  let portico: Proc | undefined;

  afterAll(async () => {
    await portico?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('builds with npm ci, keeps production dependencies only, starts, and passes its HEALTHCHECK', async () => {
    const dockerfile = instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const build = dockerfile.filter((i) => i.stage === 'build');
    const runtime = dockerfile.filter((i) => i.stage === 'runtime');
    const steps = build.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(steps[0]).toMatch(/^npm ci\b/);
    expect(steps.some((step) => /npm run build/.test(step))).toBe(true);
    expect(steps.some((step) => /npm prune --omit=dev/.test(step))).toBe(true);
    expect(runtime.find((i) => i.op === 'USER')?.args).toBe('node');

    // The committed tree, as a build context: a clone, less what .dockerignore leaves out.
    await run('git', ['clone', '--quiet', ROOT, app]);
    const ignored = readFileSync(join(app, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && !line.includes('*'));
    for (const path of ignored) rmSync(join(app, path), { recursive: true, force: true });
    expect(existsSync(join(app, 'test'))).toBe(false);

    for (const step of steps) {
      // The machine's npm cache serves the packages: the same versions, fetched sooner.
      await run('sh', ['-c', step], {
        cwd: app,
        env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_loglevel: 'error' },
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`RUN ${step} failed:\n${error.stdout?.slice(-4000)}\n${error.stderr?.slice(-4000)}`);
      });
    }

    // What `COPY --from=build /image ./` puts in the runtime stage.
    const image = join(work, 'image');
    expect(existsSync(join(image, 'packages/portico/dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(image, 'packages/console/dist/index.html'))).toBe(true);
    expect(existsSync(join(image, 'node_modules/fastify'))).toBe(true);
    // (typescript stays: vue and pinia, the console's dependencies, take it as a peer.)
    for (const dev of ['vitest', 'vue-tsc', '@biomejs/biome', 'kubernetes-models', 'vite']) {
      expect(existsSync(join(image, 'node_modules', dev)), dev).toBe(false);
    }
    expect(existsSync(join(image, 'packages/portico/src'))).toBe(false);

    const env = Object.fromEntries(
      runtime
        .filter((i) => i.op === 'ENV')
        .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] as string, m[2] as string])),
    );
    expect(env).toMatchObject({ NODE_ENV: 'production', PORTICO_DATA_DIR: '/var/lib/portico' });
    const entrypoint = exec(runtime.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]');
    const cmd = exec(runtime.find((i) => i.op === 'CMD')?.args ?? '[]');
    expect(entrypoint[0]).toBe('node');
    portico = spawnNode(
      [...entrypoint.slice(1), ...cmd],
      {
        ...env,
        // Loopback and ephemeral ports on this machine; a data directory of the test's own.
        PORTICO_HOST: '127.0.0.1',
        PORTICO_PUBLIC_PORT: '0',
        PORTICO_ADMIN_PORT: '0',
        PORTICO_DATA_DIR: join(work, 'data'),
        PORTICO_LOG_LEVEL: 'info',
      },
      image,
    );
    const line = await portico.waitForLine(/"msg":"portico started"/, 120_000);
    const { admin, public: publicUrl } = JSON.parse(line) as { admin: string; public: string };
    expect((await request(`${publicUrl}/livez`)).status).toBe(200);

    // The image's HEALTHCHECK, run as Docker would inside the container.
    const healthcheck = runtime.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    const [command, ...args] = exec(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim());
    expect(command).toBe('node');
    const adminPort = new URL(admin).port;
    await run(process.execPath, args, { cwd: image, env: { ...process.env, PORTICO_ADMIN_PORT: adminPort } });
    // And it fails where nothing answers.
    await expect(run(process.execPath, args, { env: { ...process.env, PORTICO_ADMIN_PORT: '1' } })).rejects.toThrow();
  }, 900_000);
});
