import { ElMessage } from "element-plus";
import { get } from "./http";
import { messageOf } from "./problem";
import type { components } from "./schema";

/** The district's codes as code → Chinese name, for selects and labels. */
export type Reference = { [K in keyof components["schemas"]["ReferenceOut"]]: Record<string, string> };

/** Nothing loaded yet (labels then show the raw code). */
export const EMPTY_REFERENCE: Reference = { departments: {}, categories: {}, centres: {} };

/** code → name from the API's list of codes. */
export function codeMap(codes: components["schemas"]["CodeOut"][]): Record<string, string> {
  return Object.fromEntries(codes.map((c) => [c.code, c.name]));
}

let raw: Promise<components["schemas"]["ReferenceOut"]> | null = null;

/** GET /v1/reference (every staff role may read it), once per page load; a failure is retried next time. */
function loadRaw(): Promise<components["schemas"]["ReferenceOut"]> {
  raw ??= get<components["schemas"]["ReferenceOut"]>("/v1/reference").catch((e: unknown) => {
    raw = null;
    throw e;
  });
  return raw;
}

/** The district's codes as code → Chinese name. */
export function loadReference(): Promise<Reference> {
  return loadRaw().then((r) => ({
    departments: codeMap(r.departments),
    categories: codeMap(r.categories),
    centres: codeMap(r.centres),
  }));
}

/** centre code → the centre whose day's roster signs its complex complaints (`signed_by`). */
export function loadSignedBy(): Promise<Record<string, string>> {
  return loadRaw().then((r) => Object.fromEntries(r.centres.map((c) => [c.code, c.signed_by])));
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
