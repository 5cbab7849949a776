import { describe, expect, it } from 'vitest';
import type { Instance } from '../registry-types.js';
import { InstancePicker } from './instance-picker.js';

function instance(id: string, extra: Partial<Instance> = {}): Instance {
  return { id, weight: 1, status: 'up', ...extra } as Instance;
}

describe('InstancePicker', () => {
  const three = [instance('a'), instance('b'), instance('c')];

  it('goes round-robin over the instances', () => {
    const picker = new InstancePicker();
    const picked = Array.from({ length: 6 }, () => picker.pick(three, new Set())?.id);
    expect(picked).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('never picks an instance the call already tried, nor one out of rotation', () => {
    const picker = new InstancePicker();
    const list = [...three, instance('zero', { weight: 0 }), instance('leaving', { status: 'draining' })];
    for (let i = 0; i < 5; i++) expect(picker.pick(list, new Set(['a', 'b']))?.id).toBe('c');
    expect(picker.pick(list, new Set(['a', 'b', 'c']))).toBeUndefined();
    expect(picker.hasOther(list, new Set(['a', 'b']))).toBe(true);
    expect(picker.hasOther(list, new Set(['a', 'b', 'c']))).toBe(false);
  });

  it('tries a recently failed instance last, and again once its cooldown is over or it succeeded', () => {
    const picker = new InstancePicker(1_000);
    picker.failed('a', 0);
    const picked = Array.from({ length: 6 }, () => picker.pick(three, new Set(), 500)?.id);
    expect(picked).not.toContain('a');
    // Every other instance tried already: the failed one is still better than nothing.
    expect(picker.pick(three, new Set(['b', 'c']), 500)?.id).toBe('a');
    const later = Array.from({ length: 3 }, () => picker.pick(three, new Set(), 1_000)?.id);
    expect(later).toContain('a');
    picker.failed('b', 2_000);
    picker.succeeded('b');
    expect(Array.from({ length: 3 }, () => picker.pick(three, new Set(), 2_001)?.id)).toContain('b');
  });

  it('when all are cooling, picks the one that failed first', () => {
    const picker = new InstancePicker(1_000);
    picker.failed('b', 0);
    picker.failed('c', 10);
    picker.failed('a', 20);
    expect(picker.pick(three, new Set(), 100)?.id).toBe('b');
  });
});
