import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeLastKnownGood,
  encodeLastKnownGood,
  type LastKnownGoodState,
  readLastKnownGood,
  writeLastKnownGood,
} from './last-known-good-file.js';

const state: LastKnownGoodState = {
  savedAt: '2026-01-01T00:00:00.000Z',
  epoch: 'e1',
  revision: 42,
  instances: [],
  routes: [{ name: 'shop', paths: ['/shop/*'], service: 'orders' }],
};

describe('last-known-good file', () => {
  it('reads back what it wrote, with no temporary file left beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lkg-'));
    const path = join(dir, 'last-known-good.json');
    await writeLastKnownGood(path, state);
    await writeLastKnownGood(path, { ...state, revision: 43 });
    expect(await readLastKnownGood(path)).toEqual({ kind: 'loaded', state: { ...state, revision: 43 } });
    expect(readdirSync(dir)).toEqual(['last-known-good.json']);
  });

  it('is absent when there is no file', async () => {
    expect(await readLastKnownGood(join(tmpdir(), 'no-such-dir-lkg', 'x.json'))).toEqual({ kind: 'absent' });
  });

  it('refuses a payload changed after it was hashed, and says why', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lkg-')), 'f.json');
    await writeLastKnownGood(path, state);
    writeFileSync(path, readFileSync(path, 'utf8').replace('\\"revision\\":42', '\\"revision\\":41'));
    const read = await readLastKnownGood(path);
    expect(read.kind).toBe('refused');
    expect(read.kind === 'refused' && read.reason).toMatch(/^checksum mismatch/);
  });

  it.each([
    ['not JSON', '{"kind":"portico.last-known-good"', /not JSON/],
    ['another file', '{"hello":1}', /not a portico.last-known-good file/],
    ['another version', '{"kind":"portico.last-known-good","version":2}', /format version 2/],
    ['no checksum', '{"kind":"portico.last-known-good","version":1,"payload":"{}"}', /no payload or no checksum/],
  ])('refuses %s', (_name, text, reason) => {
    const read = decodeLastKnownGood(text);
    expect(read.kind === 'refused' && read.reason).toMatch(reason);
  });

  it('refuses a well-hashed payload that is not a state', () => {
    const text = encodeLastKnownGood({ epoch: 'e' } as LastKnownGoodState);
    const read = decodeLastKnownGood(text);
    expect(read.kind === 'refused' && read.reason).toMatch(/lacks/);
  });
});
