/**
 * A real redis-server for tests (installed from Debian by scripts/ci-deps.sh): started as a child
 * process on an ephemeral loopback port, without persistence, and stopped by its own PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closedPort } from './bad-upstreams.js';
import { waitForAnswer } from './tcp-probe.js';

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Kills this server (SIGKILL: an outage, not a shutdown, unless told otherwise) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `redis-server` on `port` (default: a free one) and resolves once it answers PING.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * // … PORTICO_REDIS_URL: redis.url …
 * await redis.stop();
 * const again = await startRedis(redis.port); // the same address, empty
 * ```
 */
export async function startRedis(port?: number): Promise<RedisServer> {
  // A free port can be taken between the probe and the bind: try a few.
  for (let attempt = 0; ; attempt++) {
    const chosen = port ?? (await closedPort());
    try {
      return await launch(chosen);
    } catch (error) {
      if (port !== undefined || attempt >= 2) throw error;
    }
  }
}

async function launch(port: number): Promise<RedisServer> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new Error('redis-server is not installed: run `bash scripts/ci-deps.sh`')
          : new Error(`redis-server failed to start: ${error.message}`),
      ),
    );
    exited.then(() => reject(new Error(`redis-server exited at start:\n${output.join('')}`)));
  });
  failed.catch(() => {});
  await Promise.race([
    waitForAnswer(port, { hello: 'PING\r\n', answer: '+PONG', name: 'redis-server' }, 10_000),
    failed,
  ]);
  const pid = child.pid as number;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
      await exited;
    },
  };
}
