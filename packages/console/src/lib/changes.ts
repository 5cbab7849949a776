/** One changed field of an audit entry, before and after (`undefined` when it did not exist). */
export interface ChangeRow {
  field: string;
  before: string;
  after: string;
}

const show = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * An audit entry's `changes` as rows of a before/after table: an update's `{ field: { from, to } }`
 * gives both sides, a creation's plain values are the after side only.
 *
 * @example
 * ```ts
 * changeRows({ displayName: { from: 'A', to: 'B' } }); // [{ field: 'displayName', before: 'A', after: 'B' }]
 * ```
 */
export function changeRows(changes: Record<string, unknown>): ChangeRow[] {
  return Object.entries(changes).map(([field, value]) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'from' in value && 'to' in value) {
      const { from, to } = value as { from: unknown; to: unknown };
      return { field, before: show(from), after: show(to) };
    }
    return { field, before: '', after: show(value) };
  });
}
