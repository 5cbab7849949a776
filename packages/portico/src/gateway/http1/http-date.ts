let second = -1;
let text = '';

/**
 * The current time as an HTTP `Date` value (IMF-fixdate), made at most once per second: the
 * gateway's own server adds it to every answer that lacks one, as node:http does.
 *
 * @example
 * ```ts
 * httpDate(); // 'Sun, 22 Nov 2026 08:21:15 GMT'
 * ```
 */
export function httpDate(now = Date.now()): string {
  const current = Math.floor(now / 1000);
  if (current !== second) {
    second = current;
    text = new Date(current * 1000).toUTCString();
  }
  return text;
}
