import { ref } from 'vue';
import { ApiError } from '../api';

/**
 * Runs a form's API call and turns a failure into errors on its fields: a `VALIDATION_ERROR`'s
 * `{field, message}` details land on the field they name (`paths.0` on `paths`,
 * `params.name` on `name`); anything else is the form's general error.
 *
 * @example
 * ```ts
 * const form = useForm();
 * await form.run(() => api('POST', '/v1/admin/tenants', body));
 * // <ElFormItem :error="form.fields.value.name">
 * ```
 */
export function useForm() {
  const fields = ref<Record<string, string>>({});
  const error = ref('');
  const busy = ref(false);

  async function run<T>(call: () => Promise<T>): Promise<T | undefined> {
    fields.value = {};
    error.value = '';
    busy.value = true;
    try {
      return await call();
    } catch (failure) {
      if (!(failure instanceof ApiError)) throw failure;
      const found: Record<string, string> = {};
      for (const [field, message] of Object.entries(failure.fields())) {
        const key = field.replace(/^(params|querystring)\./, '').split('.')[0] ?? field;
        found[key] = found[key] ? `${found[key]}; ${message}` : message;
      }
      fields.value = found;
      if (Object.keys(found).length === 0) error.value = `${failure.code}: ${failure.message}`;
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { fields, error, busy, run };
}
