/**
 * Starts real Portico and service processes for integration tests, on ephemeral loopback ports,
 * and stops them by their own PIDs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PORTICO_BIN = join(ROOT, 'packages/portico/dist/cli/main.js');
export const FIXTURES = join(ROOT, 'test/fixtures');

/** A child process with its output collected line by line. */
export interface Proc {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first output line matching `pattern` (already seen or still to come). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns `node args…` and collects stdout and stderr lines. */
export function spawnNode(args: string[], env: Record<string, string> = {}, cwd = ROOT): Proc {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? -1 : null));
    });
  });
  return {
    child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 10_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
        }, timeoutMs);
        exited.then(() => {
          if (waiters.delete(waiter)) {
            clearTimeout(timer);
            reject(new Error(`process exited before ${pattern}; output:\n${lines.join('\n')}`));
          }
        });
        const original = waiter.resolve;
        waiter.resolve = (line) => {
          clearTimeout(timer);
          original(line);
        };
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A running Portico process with its URLs (a registry-only process has no public URL: ''). */
export interface PorticoProc extends Proc {
  readonly publicUrl: string;
  readonly adminUrl: string;
}

/**
 * Starts `portico start [role]` on ephemeral ports with a fresh data directory; `env` adds
 * settings.
 */
export async function startPortico(
  env: Record<string, string> = {},
  role: 'all' | 'gateway' | 'registry' = 'all',
): Promise<PorticoProc> {
  const proc = spawnNode([PORTICO_BIN, 'start', role], {
    PORTICO_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: '0',
    PORTICO_ADMIN_PORT: '0',
    PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-test-')),
    PORTICO_LOG_LEVEL: 'info',
    ...env,
  });
  // Generous: an all-in-one start opens its embedded store, and CI machines are small and busy.
  const line = await proc.waitForLine(/"msg":"portico started"/, 60_000);
  const { public: publicUrl, admin: adminUrl } = JSON.parse(line) as { public?: string; admin: string };
  return Object.assign(proc, { publicUrl: publicUrl ?? '', adminUrl });
}

/** A running service process (a fixture built on the SDK). */
export interface ServiceProc extends Proc {
  readonly url: string;
  readonly instanceId: string;
  /** The fixture's control port (echo-service): steer its behaviour, read its counters. */
  readonly controlUrl: string;
}

/**
 * Starts `test/fixtures/{fixture}.mjs` against a registry; the fixture prints
 * `ready {url} {instanceId}` once registered.
 */
export async function startService(
  fixture: string,
  registryUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceProc> {
  const proc = spawnNode([join(FIXTURES, `${fixture}.mjs`)], { PORTICO_REGISTRY_URL: registryUrl, ...env });
  // As generous as Portico's start: a fixture loads the SDK and registers, and on a busy machine
  // several start at once.
  const line = await proc.waitForLine(/^ready /, 60_000);
  const [, url, instanceId, controlUrl = ''] = line.split(' ') as [string, string, string, string?];
  return Object.assign(proc, { url, instanceId, controlUrl });
}
