import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KekRing, newKekEntry } from './kek-ring.js';
import { resolveKeys } from './key-source.js';
import { SecretBox, sealContext } from './secret-box.js';

const key = () => randomBytes(32).toString('base64');
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error('did not throw');
};

describe('KekRing', () => {
  it('reads a list: the first key wraps, comments (commas and all) and blank lines are skipped', () => {
    const [a, b] = [key(), key()];
    const ring = KekRing.parse(`# a comment, with a comma\nk2:${a}\n\n k1:${b} ,`, 'test');
    expect(ring.primary.id).toBe('k2');
    expect(ring.ids()).toEqual(['k2', 'k1']);
    expect(ring.get('k1')?.key.equals(Buffer.from(b, 'base64'))).toBe(true);
    expect(KekRing.parse(newKekEntry(), 'generated').primary.key).toHaveLength(32);
    // base64url without padding is the same 32 bytes
    expect(KekRing.parse(`u:${Buffer.from(a, 'base64').toString('base64url')}`, 't').primary.key).toEqual(
      Buffer.from(a, 'base64'),
    );
  });

  it('refuses bad entries with STORE_KEY_INVALID, naming the entry but never the key', () => {
    const secret = key();
    const short = randomBytes(16).toString('base64');
    for (const text of [
      secret,
      `k1:${short}`,
      `bad id:${secret}`,
      `k1:${secret},k1:${key()}`,
      '# only a comment',
      `k1:${secret}!`,
    ]) {
      const failure = codeOf(() => KekRing.parse(text, 'PORTICO_STORE_KEYS'));
      expect(failure.code, text).toBe('STORE_KEY_INVALID');
      expect(failure.message).toContain('PORTICO_STORE_KEYS');
      expect(failure.message).not.toContain(secret);
      expect(failure.message).not.toContain(short);
    }
  });
});

describe('resolveKeys', () => {
  const pglite = { kind: 'pglite' as const, location: '/data/store' };
  it('takes one source only, and gives a memory store a throwaway key', () => {
    const both = { encryptionKeys: `k1:${key()}`, encryptionKeyFile: '/run/key', dataDir: '/data' };
    expect(codeOf(() => resolveKeys(pglite, both, [])).code).toBe('STORE_KEY_INVALID');
    const none = { encryptionKeys: '', encryptionKeyFile: '', dataDir: '' };
    expect(resolveKeys({ kind: 'pglite', location: 'memory' }, none, []).origin).toBe('ephemeral');
    expect(codeOf(() => resolveKeys({ kind: 'postgres', location: 'postgres://db' }, none, [])).code).toBe(
      'STORE_KEY_MISSING',
    );
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(new Map([['d1', randomBytes(32)]]), 'd1');
  const here = sealContext('signing_keys', 'private_jwk', 'kid-a');

  it('round-trips, with a fresh IV each time', () => {
    const one = box.seal('{"d":"secret"}', here);
    expect(SecretBox.isSealed(one)).toBe(true);
    expect(one).not.toBe(box.seal('{"d":"secret"}', here));
    expect(box.open(one, here)).toBe('{"d":"secret"}');
  });

  it('refuses a value moved to another row, altered, unsealed or under another data key', () => {
    const sealed = box.seal('{"d":"secret"}', here);
    const elsewhere = sealContext('signing_keys', 'private_jwk', 'kid-b');
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    const other = new SecretBox(new Map([['d1', randomBytes(32)]]), 'd1');
    for (const open of [
      () => box.open(sealed, elsewhere),
      () => box.open(flipped, here),
      () => box.open('{"d":"secret"}', here),
      () => box.open(sealed.replace(':d1:', ':d2:'), here),
      () => other.open(sealed, here),
    ]) {
      expect(codeOf(open).code).toBe('STORE_SECRET_UNREADABLE');
    }
  });
});
