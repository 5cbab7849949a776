/**
 * A real `nats-server -js` for tests (Debian 2.9, installed by scripts/ci-deps.sh): started as a
 * child process on an ephemeral loopback port with its own store directory, stopped by its PID,
 * and restartable on the same port and store directory (the kill/restart tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './bad-upstreams.js';
import { waitForAnswer } from './tcp-probe.js';

const BINARY = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

/** A running (or stopped, restartable) nats-server. */
export interface NatsServer {
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  /** PID of the current process; changes on restart. */
  pid(): number;
  /** Kills the server (SIGKILL by default: an outage, not a shutdown) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store directory; resolves once it answers. */
  restart(): Promise<void>;
  /** Stops it and removes the store directory. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `nats-server -js` on a free loopback port with a fresh store directory.
 *
 * @example
 * ```ts
 * const nats = await startNats();
 * await nats.stop();     // SIGKILL
 * await nats.restart();  // same port, same stored streams
 * await nats.dispose();
 * ```
 */
export async function startNats(): Promise<NatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'portico-nats-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // A free port can be taken between the probe and the bind: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await closedPort();
    try {
      child = await launch(port, storeDir);
      break;
    } catch (error) {
      if (attempt >= 2) {
        rmSync(storeDir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const server: NatsServer = {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    pid: () => child?.pid as number,
    async stop(signal = 'SIGKILL') {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      process.kill(current.pid as number, signal);
      await exited;
    },
    async restart() {
      await server.stop();
      // The port was ours a moment ago; the kernel may hold it briefly, so retry the bind.
      for (let attempt = 0; ; attempt++) {
        try {
          child = await launch(port, storeDir);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async dispose() {
      await server.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return server;
}

async function launch(port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(BINARY, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.once('exit', () => running.delete(child));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('nats-server is not installed: run `bash scripts/ci-deps.sh`')
          : new Error(`nats-server failed to start: ${error.message}`),
      ),
    );
    child.once('exit', () => reject(new Error(`nats-server exited at start:\n${output.join('')}`)));
  });
  failed.catch(() => {});
  try {
    await Promise.race([waitForAnswer(port, { answer: 'INFO', name: 'nats-server' }, 15_000), failed]);
    // JetStream is ready once the server logs it; the INFO line alone comes a little earlier.
    await Promise.race([waitForLog(output, 'Server is ready', 15_000), failed]);
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  return child;
}

async function waitForLog(output: string[], text: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (output.join('').includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nats-server did not log "${text}" within ${timeoutMs} ms:\n${output.join('')}`);
}
