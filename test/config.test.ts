/**
 * `portico start` as a user runs it, in a directory holding a `portico.yaml`: a bad file or value
 * stops start-up with exit code 2 and one line naming the key (and the line, for YAML); a good
 * one starts with its settings applied, and the environment wins over the file.
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postJson, request } from './support/http.js';
import { PORTICO_BIN, type Proc, spawnNode } from './support/processes.js';

const PREFIX = 'portico: configuration error: ';
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh working directory, with a `portico.yaml` when `yaml` is given. */
function workDir(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-config-'));
  made.push(dir);
  if (yaml !== undefined) writeFileSync(join(dir, 'portico.yaml'), yaml);
  return dir;
}

/** Environment for a run: ephemeral loopback ports and a data dir inside `dir`, plus `env`. */
function runEnv(dir: string, env: Record<string, string>): Record<string, string> {
  return {
    PORTICO_HOST: '127.0.0.1',
    PORTICO_ADMIN_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: '0',
    PORTICO_ADMIN_PORT: '0',
    PORTICO_DATA_DIR: join(dir, 'data'),
    ...env,
  };
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderrLines: string[];
}

/** Runs `portico start` in `dir` and waits (bounded) for it to exit. */
async function runToExit(dir: string, env: Record<string, string>): Promise<Outcome> {
  const proc = spawnNode([PORTICO_BIN, 'start'], env, dir);
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // 'close' comes after both pipes drained, so every byte printed has been read.
  const closed = once(proc.child, 'close');
  // Bounds a process that wrongly starts instead of exiting; a refusal exits in about a second,
  // but a busy machine can take several just to load Node and the CLI.
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 60_000);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
  const code = await proc.exited;
  return { code, stdout, stderrLines: stderr.split('\n').filter((line) => line !== '') };
}

/** Exit code 2, nothing on stdout, and exactly one stderr line: the prefix, then `message`. */
function expectConfigError(outcome: Outcome, message: RegExp): void {
  const context = `exit ${outcome.code}; stderr: ${outcome.stderrLines.join(' | ')}; stdout: ${outcome.stdout.slice(0, 300)}`;
  expect(outcome.code, context).toBe(2);
  expect(outcome.stdout, context).toBe('');
  expect(outcome.stderrLines, context).toHaveLength(1);
  const line = outcome.stderrLines[0] as string;
  expect(line.startsWith(PREFIX), context).toBe(true);
  expect(line.slice(PREFIX.length), context).toMatch(message);
}

/** Starts `portico start` in `dir` and resolves once it listens, with its URLs. */
async function startIn(dir: string, env: Record<string, string>) {
  const proc = spawnNode([PORTICO_BIN, 'start'], env, dir);
  try {
    // As generous as startPortico: opening the embedded store takes 10 s and more on a busy machine.
    const line = await proc.waitForLine(/"msg":"portico started"/, 60_000);
    const { public: publicUrl, admin: adminUrl } = JSON.parse(line) as { public: string; admin: string };
    return { proc, publicUrl, adminUrl };
  } catch {
    const closed = once(proc.child, 'close');
    await proc.stop('SIGKILL');
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    throw new Error(`portico did not start; output:\n${proc.lines.join('\n')}`);
  }
}

async function stopCleanly(proc: Proc): Promise<void> {
  expect(await proc.stop('SIGTERM')).toBe(0);
}

describe('portico start with a bad configuration', () => {
  const fileCases: { name: string; yaml: string; env?: Record<string, string>; message: RegExp }[] = [
    {
      name: 'invalid YAML (a tab as indentation)',
      yaml: 'logLevel: info\ngateway:\n\tbalancer: round-robin\n',
      message: /^portico\.yaml:3:\d+: invalid YAML: \S/,
    },
    {
      name: 'invalid YAML (a key given twice)',
      yaml: 'logLevel: info\nshutdownGraceMs: 1000\nlogLevel: debug\n',
      message: /^portico\.yaml:3:\d+: invalid YAML: \S/,
    },
    {
      name: 'a port of the wrong type',
      // The env would override publicPort, so this run leaves it to the file.
      yaml: 'adminPort: 0\npublicPort: "abc"\n',
      env: { PORTICO_PUBLIC_PORT: '' },
      message: /^portico\.yaml:2:\d+: publicPort must be a whole number$/,
    },
    {
      name: 'a port out of range',
      yaml: 'adminPort: 0\n# the public port\npublicPort: 70000\n',
      env: { PORTICO_PUBLIC_PORT: '' },
      message: /^portico\.yaml:3:\d+: publicPort must be <= 65535$/,
    },
    {
      name: 'an unknown key',
      yaml: 'logLevel: info\nlogLevl: debug\n',
      message: /^portico\.yaml:2:\d+: logLevl is not a known setting$/,
    },
    {
      name: 'an unknown nested key',
      yaml: 'gateway:\n  balancer: round-robin\n  balancr: least-outstanding\n',
      message: /^portico\.yaml:3:\d+: gateway\.balancr is not a known setting$/,
    },
    {
      name: 'a value outside its enum',
      yaml: 'registry:\n  ttlSeconds: 30\ngateway:\n  balancer: random\n',
      message: /^portico\.yaml:4:\d+: gateway\.balancer must be one of: round-robin, least-outstanding$/,
    },
    {
      name: 'a file that is a list',
      yaml: '- publicPort: 8080\n',
      message: /^portico\.yaml:1:1: the config file must be a mapping of keys to values$/,
    },
    {
      name: 'a default ttl above the largest allowed',
      yaml: 'registry:\n  maxTtlSeconds: 60\n  ttlSeconds: 120\n',
      message: /^portico\.yaml:3:\d+: registry\.ttlSeconds must not exceed registry\.maxTtlSeconds \(60\)$/,
    },
  ];

  it.each(fileCases)('stops on $name, naming the key and the line', async ({ yaml, env = {}, message }) => {
    const dir = workDir(yaml);
    expectConfigError(await runToExit(dir, runEnv(dir, env)), message);
  });

  const envCases: { name: string; env: Record<string, string>; message: string }[] = [
    {
      name: 'PORTICO_PUBLIC_PORT=abc',
      env: { PORTICO_PUBLIC_PORT: 'abc' },
      message: 'PORTICO_PUBLIC_PORT="abc": publicPort must be a whole number',
    },
    {
      name: 'PORTICO_ADMIN_PORT=-1',
      env: { PORTICO_ADMIN_PORT: '-1' },
      message: 'PORTICO_ADMIN_PORT="-1": adminPort must be >= 0',
    },
    {
      name: 'PORTICO_LOG_LEVEL=loud',
      env: { PORTICO_LOG_LEVEL: 'loud' },
      message: 'PORTICO_LOG_LEVEL="loud": logLevel must be one of: fatal, error, warn, info, debug, trace, silent',
    },
    {
      name: 'PORTICO_BALANCER=random',
      env: { PORTICO_BALANCER: 'random' },
      message: 'PORTICO_BALANCER="random": gateway.balancer must be one of: round-robin, least-outstanding',
    },
  ];

  it.each(envCases)('stops on $name, naming the variable', async ({ env, message }) => {
    const dir = workDir();
    expectConfigError(await runToExit(dir, runEnv(dir, env)), new RegExp(`^${quoteRegExp(message)}$`));
  });

  it('names the variable when it overrides a valid value from the file', async () => {
    const dir = workDir('registry:\n  ttlSeconds: 30\n');
    const outcome = await runToExit(dir, runEnv(dir, { PORTICO_TTL_SECONDS: '0' }));
    expectConfigError(outcome, /^PORTICO_TTL_SECONDS="0": registry\.ttlSeconds must be >= 1$/);
  });

  it('stops when PORTICO_CONFIG names a missing file, naming the file', async () => {
    const dir = workDir('logLevel: info\n');
    const missing = join(dir, 'elsewhere', 'missing.yaml');
    const outcome = await runToExit(dir, runEnv(dir, { PORTICO_CONFIG: missing }));
    expectConfigError(outcome, new RegExp(`^${quoteRegExp(missing)}: cannot read the config file \\(ENOENT\\)$`));
  });

  it('names the file given by PORTICO_CONFIG, with the line', async () => {
    const dir = workDir();
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'custom.yaml'), 'logLevel: info\n\nregistry:\n  ttlSecs: 30\n');
    const outcome = await runToExit(dir, runEnv(dir, { PORTICO_CONFIG: 'conf/custom.yaml' }));
    expectConfigError(outcome, /^conf\/custom\.yaml:4:\d+: registry\.ttlSecs is not a known setting$/);
  });
});

describe('portico start with a good configuration', () => {
  it('applies the settings of ./portico.yaml', async () => {
    const dir = workDir(
      [
        '# Portico for the config test',
        'logLevel: info',
        'dataDir: state',
        'registry:',
        '  ttlSeconds: 45',
        'gateway:',
        '  maxBodyBytes: 1024',
        '',
      ].join('\n'),
    );
    const env = runEnv(dir, {});
    delete env.PORTICO_DATA_DIR;
    const { proc, publicUrl, adminUrl } = await startIn(dir, env);
    try {
      expect(existsSync(join(dir, 'state')), 'dataDir is created relative to the working directory').toBe(true);
      const registered = await postJson(`${adminUrl}/v1/registry/instances`, {
        auth: 'public',
        id: 'cfg-1',
        service: 'cfg',
        host: '127.0.0.1',
        port: 9,
      });
      expect(registered.status, registered.text).toBe(201);
      expect(registered.body.data.ttlSeconds).toBe(45);
      const tooLarge = await request(`${publicUrl}/api/cfg/upload`, { method: 'POST', body: 'x'.repeat(1025) });
      expect(tooLarge.status, tooLarge.text).toBe(413);
      expect(tooLarge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      const small = await request(`${publicUrl}/api/cfg/upload`, { method: 'POST', body: 'x'.repeat(1024) });
      expect(small.status, 'a body at the limit is forwarded (and fails upstream, not at the limit)').not.toBe(413);
    } finally {
      await stopCleanly(proc);
    }
  });

  it('lets the environment win over the file named by PORTICO_CONFIG, which wins over ./portico.yaml', async () => {
    // ./portico.yaml is broken: if it were read, start-up would stop.
    const dir = workDir('this: is not a setting\n');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'custom.yaml'), 'logLevel: silent\nregistry:\n  ttlSeconds: 45\n');
    const { proc, adminUrl } = await startIn(
      dir,
      runEnv(dir, { PORTICO_CONFIG: 'conf/custom.yaml', PORTICO_LOG_LEVEL: 'info', PORTICO_TTL_SECONDS: '77' }),
    );
    try {
      const registered = await postJson(`${adminUrl}/v1/registry/instances`, {
        auth: 'public',
        service: 'cfg',
        host: '127.0.0.1',
        port: 9,
      });
      expect(registered.status, registered.text).toBe(201);
      expect(registered.body.data.ttlSeconds).toBe(77);
    } finally {
      await stopCleanly(proc);
    }
  });

  it('treats an empty variable as unset', async () => {
    const dir = workDir('registry:\n  ttlSeconds: 45\n');
    const { proc, adminUrl } = await startIn(dir, runEnv(dir, { PORTICO_CONFIG: '', PORTICO_TTL_SECONDS: '' }));
    try {
      const registered = await postJson(`${adminUrl}/v1/registry/instances`, {
        auth: 'public',
        service: 'cfg',
        host: '127.0.0.1',
        port: 9,
      });
      expect(registered.body.data.ttlSeconds).toBe(45);
    } finally {
      await stopCleanly(proc);
    }
  });
});

function quoteRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
