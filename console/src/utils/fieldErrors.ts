// The API's refusal per field, shown next to the field it names (`<el-form-item :error="fields.at('title')">`),
// beside the form's one-line Chinese message. One per form; `clear()` before sending, `take(e)` on a refusal.
import { ref } from "vue";
import { fieldErrors, messageOf } from "@/api/problem";

export function useFieldErrors() {
  const invalid = ref<Record<string, string>>({});
  return {
    invalid,
    clear(): void {
      invalid.value = {};
    },
    /** Keeps the refusal's invalid fields and returns its Chinese message for the form's alert. */
    take(err: unknown): string {
      invalid.value = fieldErrors(err);
      return messageOf(err);
    },
    /** The refusal of the first of these fields (or a part of one: `complainant.phone` under `complainant`). */
    at(...fields: string[]): string | undefined {
      return Object.entries(invalid.value).find(([k]) => fields.some((f) => k === f || k.startsWith(`${f}.`)))?.[1];
    },
  };
}
