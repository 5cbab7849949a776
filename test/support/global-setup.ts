/**
 * Runs once before any test file. Every Portico process a test starts opens an embedded store;
 * on a fresh machine the first one would spend 5–13 s in PGlite's initdb, and the test files
 * that start in parallel would all pay it at once. Building the cached template here, once,
 * keeps every later start at about 1.5 s.
 */
import { pgliteTemplate } from '../../packages/portico/src/store/pglite-template.js';

export default async function setup(): Promise<void> {
  await pgliteTemplate();
}
