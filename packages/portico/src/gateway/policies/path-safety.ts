/** `.` or `..` as a whole segment, plain or percent-encoded, with `/` or `\` (plain or encoded) around it. */
const DOT_SEGMENT = /(?:^|\/|\\|%2f|%5c)(?:\.|%2e){1,2}(?:$|\/|\\|%2f|%5c)/i;

/**
 * Tells whether a path has a dot segment (`/a/../b`, `/a/%2e%2e/b`, `/a/..\b`). The gateway
 * matches endpoints on the path as sent and forwards it unchanged; a service that normalises
 * it would answer for another path than the one whose policy was checked (`/open/../admin`
 * passing as public). Such a path is refused before any policy decides on it.
 *
 * @example
 * ```ts
 * hasDotSegment('/open/../admin'); // true
 * hasDotSegment('/files/v1.2/notes..txt'); // false
 * ```
 */
export function hasDotSegment(path: string): boolean {
  return path.includes('.') || path.includes('%') ? DOT_SEGMENT.test(path) : false;
}
