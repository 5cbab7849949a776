import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { Instance } from '@portico/sdk';
import type { DeclaredRouteSpec } from '../gateway/declared-routes/declared-route-spec.js';

/** What the file says of itself, so an unrelated JSON file is never read as routes. */
const KIND = 'portico.last-known-good';
const VERSION = 1;

/** The registry state a gateway last knew, and the routes it was given through its admin API. */
export interface LastKnownGoodState {
  /** When it was written (ISO 8601). */
  savedAt: string;
  /** The registry incarnation `revision` belongs to: a watch resumes from `{epoch}:{revision}`. */
  epoch: string;
  revision: number;
  instances: Instance[];
  /** Declared routes added through the admin API (`portico.yaml`'s come from the file again). */
  routes: DeclaredRouteSpec[];
}

/** The outcome of reading the file: its state, nothing there, or a refusal with its reason. */
export type LastKnownGoodRead =
  | { kind: 'loaded'; state: LastKnownGoodState }
  | { kind: 'absent' }
  | { kind: 'refused'; reason: string };

/**
 * The file's text: a small JSON envelope whose `payload` is the state as a JSON string and whose
 * `sha256` is the hex SHA-256 of exactly that string. The payload stays a string so the bytes
 * that were hashed are the bytes that are checked, whatever a JSON printer would reorder.
 *
 * @example
 * ```ts
 * const text = encodeLastKnownGood({ savedAt, epoch, revision: 7, instances: [], routes: [] });
 * decodeLastKnownGood(text); // { kind: 'loaded', state: { ... revision: 7 ... } }
 * ```
 */
export function encodeLastKnownGood(state: LastKnownGoodState): string {
  const payload = JSON.stringify(state);
  return `${JSON.stringify({ kind: KIND, version: VERSION, sha256: sha256(payload), payload })}\n`;
}

/** Checks and parses the file's text; every way it can be wrong is a refusal that says which. */
export function decodeLastKnownGood(text: string): LastKnownGoodRead {
  let envelope: { kind?: unknown; version?: unknown; sha256?: unknown; payload?: unknown };
  try {
    envelope = JSON.parse(text);
  } catch {
    return { kind: 'refused', reason: 'the file is not JSON (truncated or overwritten?)' };
  }
  if (typeof envelope !== 'object' || envelope === null || envelope.kind !== KIND) {
    return { kind: 'refused', reason: `the file is not a ${KIND} file` };
  }
  if (envelope.version !== VERSION) {
    return { kind: 'refused', reason: `the file has format version ${String(envelope.version)}, not ${VERSION}` };
  }
  if (typeof envelope.payload !== 'string' || typeof envelope.sha256 !== 'string') {
    return { kind: 'refused', reason: 'the file has no payload or no checksum' };
  }
  const actual = sha256(envelope.payload);
  if (actual !== envelope.sha256) {
    return {
      kind: 'refused',
      reason: `checksum mismatch: the file says sha256 ${envelope.sha256}, its payload hashes to ${actual}`,
    };
  }
  const state = JSON.parse(envelope.payload) as Partial<LastKnownGoodState>;
  if (
    typeof state.epoch !== 'string' ||
    !Number.isSafeInteger(state.revision) ||
    !Array.isArray(state.instances) ||
    !Array.isArray(state.routes)
  ) {
    return { kind: 'refused', reason: 'the payload lacks epoch, revision, instances or routes' };
  }
  return { kind: 'loaded', state: state as LastKnownGoodState };
}

/** Reads and checks the file at `path`; a missing file is `absent`, not an error. */
export async function readLastKnownGood(path: string): Promise<LastKnownGoodRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'refused', reason: `the file cannot be read (${code})` };
  }
  return decodeLastKnownGood(text);
}

/**
 * Writes the state atomically: to a temporary file beside it, flushed to disk, then renamed over
 * the old one. A crash mid-write leaves the previous file whole, never half of the new one.
 */
export async function writeLastKnownGood(path: string, state: LastKnownGoodState): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(encodeLastKnownGood(state), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
