import type { Instance, RegistryChange } from '@portico/sdk';
import { describe, expect, it } from 'vitest';
import { ChangeLog } from './change-log.js';

const change = (revision: number): RegistryChange => ({
  revision,
  type: 'registered',
  instance: { id: `i-${revision}` } as Instance,
});

describe('ChangeLog', () => {
  it('returns exactly the changes after a revision while they are held', () => {
    const log = new ChangeLog(3);
    for (let r = 1; r <= 5; r++) log.append(change(r));
    expect(log.after(5, 5)).toEqual([]);
    expect(log.after(4, 5)?.map((c) => c.revision)).toEqual([5]);
    expect(log.after(2, 5)?.map((c) => c.revision)).toEqual([3, 4, 5]);
  });

  it('says "resync" for changes no longer held and for revisions from the future', () => {
    const log = new ChangeLog(3);
    for (let r = 1; r <= 5; r++) log.append(change(r));
    expect(log.after(1, 5)).toBeUndefined();
    expect(log.after(0, 5)).toBeUndefined();
    expect(log.after(9, 5)).toBeUndefined();
  });

  it('works before it is full', () => {
    const log = new ChangeLog(10);
    log.append(change(1));
    log.append(change(2));
    expect(log.after(0, 2)?.map((c) => c.revision)).toEqual([1, 2]);
  });
});
