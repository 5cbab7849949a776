import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * A freshly initialised PGlite data directory, kept as a tarball in the user's cache. PGlite's
 * initdb runs in WebAssembly and takes 5–13 s on a small machine; loading this template takes
 * about 1.5 s. It holds no Portico data: migrations run after it is loaded.
 *
 * The cache directory is private to the user (mode 0700, owner checked) because whoever can
 * write the template decides what every new store starts with.
 *
 * @example
 * ```ts
 * const template = await pgliteTemplate();
 * const pglite = await PGlite.create('./data/store', { loadDataDir: template });
 * ```
 */
export async function pgliteTemplate(): Promise<Blob> {
  const file = templateFile();
  const cached = file ? readCached(file) : undefined;
  if (cached) return cached;
  const fresh = await PGlite.create();
  const blob = await fresh.dumpDataDir('gzip');
  await fresh.close();
  if (file) {
    // Write then rename, so a concurrent reader never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()), { mode: 0o600 });
    renameSync(partial, file);
  }
  return blob;
}

function templateFile(): string | undefined {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, 'portico');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    const uid = process.getuid?.();
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) return undefined;
  } catch {
    return undefined;
  }
  return join(dir, `pglite-${pgliteVersion()}.tar.gz`);
}

function readCached(file: string): Blob | undefined {
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    return undefined;
  }
}

/** The installed PGlite version: a template only fits the Postgres build that made it. */
function pgliteVersion(): string {
  // createRequire rather than import.meta.resolve, which test runners' module loaders lack.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let dir = dirname(entry);
  for (let depth = 0; depth < 4; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // not this directory; look one up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
