import { ElMessage } from "element-plus";
import { get } from "./http";
import { messageOf } from "./problem";
import type { components } from "./schema";

/** The district's codes as code → Chinese name, for selects and labels. */
export interface Reference {
  departments: Record<string, string>;
  categories: Record<string, string>;
  centres: Record<string, string>;
}

/** Nothing loaded yet (labels then show the raw code). */
export const EMPTY_REFERENCE: Reference = { departments: {}, categories: {}, centres: {} };

/** code → name from the API's list of codes. */
export function codeMap(codes: components["schemas"]["CodeOut"][]): Record<string, string> {
  return Object.fromEntries(codes.map((c) => [c.code, c.name]));
}

let cached: Promise<Reference> | null = null;

/** GET /v1/reference (every staff role may read it), once per page load; a failure is retried next time. */
export function loadReference(): Promise<Reference> {
  cached ??= get<components["schemas"]["ReferenceOut"]>("/v1/reference")
    .then((r) => ({ departments: codeMap(r.departments), categories: codeMap(r.categories), centres: codeMap(r.centres) }))
    .catch((e: unknown) => {
      cached = null;
      throw e;
    });
  return cached;
}

/** The codes, or none (labels then show raw codes) with the reason shown as a message: a page still opens. */
export async function referenceOrEmpty(): Promise<Reference> {
  try {
    return await loadReference();
  } catch (e) {
    ElMessage.error(`代码表加载失败：${messageOf(e)}`);
    return EMPTY_REFERENCE;
  }
}
