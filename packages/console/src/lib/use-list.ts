import { computed, type Ref, ref, watch } from 'vue';
import { fuzzyFilter } from './fuzzy';

/**
 * A list's fuzzy filter and its pages: only one page of rows is in the DOM, so 1,000+ items
 * stay fast.
 *
 * @example
 * ```ts
 * const { query, matching, shown, page } = useList(users, (user) => user.username);
 * ```
 */
export function useList<T>(items: Ref<readonly T[]>, textOf: (item: T) => string, pageSize = 50) {
  const query = ref('');
  const page = ref(1);
  const matching = computed(() => fuzzyFilter(items.value, query.value, textOf));
  const shown = computed(() => matching.value.slice((page.value - 1) * pageSize, page.value * pageSize));
  watch(query, () => {
    page.value = 1;
  });
  return { query, page, pageSize, matching, shown };
}
