/** Postgres SQLSTATE of a unique-constraint violation. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Tells whether a query failed on a unique constraint; both drivers expose the SQLSTATE as `code`.
 *
 * @example
 * ```ts
 * try { await insert(); } catch (error) { if (isUniqueViolation(error)) throw conflict(); throw error; }
 * ```
 */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}

/** Tells whether a query failed because a referenced row does not exist. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === FOREIGN_KEY_VIOLATION;
}
