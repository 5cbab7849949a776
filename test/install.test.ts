/**
 * A fresh clone installs as Docker builds and CI systems install it: `npm ci` accepts the lock
 * file as it is committed, and nothing in the dependency tree asks for a newer Node than the
 * one Portico promises (npm would print EBADENGINE on Node 20 otherwise).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

describe('installation', () => {
  it('has a lock file that npm ci accepts', async () => {
    // --dry-run checks that package.json and the lock agree (the check that failed before),
    // without touching node_modules or the network.
    const run = promisify(execFile);
    const { stderr } = await run('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: root,
      env: { ...process.env, npm_config_loglevel: 'warn' },
    });
    expect(stderr).not.toMatch(/EUSAGE|EBADENGINE|in sync/);
  }, 60_000);

  it('has no dependency that needs a newer Node than the promised one', () => {
    const promised = readJson('package.json').engines.node as string;
    const floor = semver.minVersion(promised)?.version;
    expect(floor).toBeDefined();
    const lock = readJson('package-lock.json') as { packages: Record<string, LockedPackage> };
    const refused = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!wanted || !path) return [];
      const ok = semver.satisfies(floor as string, wanted) && semver.satisfies(process.version, wanted);
      return ok ? [] : [`${path}@${entry.version}: node ${wanted}`];
    });
    expect(refused).toEqual([]);
  });
});
