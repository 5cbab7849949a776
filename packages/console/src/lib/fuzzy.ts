/**
 * Fuzzy matching for the console's lists: every word of the query must appear in the text as a
 * subsequence (`ordsvc` finds `orders-service`), case-insensitive. A plain substring scores
 * best, so exact hits sort first.
 *
 * @example
 * ```ts
 * fuzzyScore('ordsvc', 'orders-service'); // > 0
 * fuzzyScore('xyz', 'orders-service'); // 0
 * ```
 */
export function fuzzyScore(query: string, text: string): number {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return 1;
  const haystack = text.toLowerCase();
  let total = 0;
  for (const word of words) {
    const score = wordScore(word, haystack);
    if (score === 0) return 0;
    total += score;
  }
  return total;
}

function wordScore(word: string, haystack: string): number {
  const at = haystack.indexOf(word);
  if (at >= 0) return 100 - Math.min(at, 50);
  let position = 0;
  let gaps = 0;
  for (const char of word) {
    const found = haystack.indexOf(char, position);
    if (found < 0) return 0;
    gaps += found - position;
    position = found + 1;
  }
  return Math.max(1, 50 - gaps);
}

/**
 * The items matching `query`, best first (ties keep their order). When some items hold every
 * word as it was typed, only those are shown (`bulk-999` is one instance, not every one whose
 * text happens to contain those letters in order); otherwise the subsequence matches.
 *
 * @example
 * ```ts
 * fuzzyFilter(users, 'ali', (user) => `${user.username} ${user.email}`);
 * ```
 */
export function fuzzyFilter<T>(items: readonly T[], query: string, textOf: (item: T) => string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...items];
  const texts = items.map((item) => textOf(item).toLowerCase());
  const exact = items.filter((_, index) => words.every((word) => texts[index]?.includes(word)));
  if (exact.length > 0) return exact;
  return items
    .map((item, index) => ({ item, index, score: fuzzyScore(query, texts[index] ?? '') }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((entry) => entry.item);
}
