// RFC 9457 problem bodies from the yousu API: the Chinese `detail` is what staff read.
import type { components } from "./schema";

/** A problem body as received: the API's `Problem` schema, every field optional (a proxy's error page, or a
 * body that is not a problem at all, reads as an empty one). */
export type ProblemBody = Partial<components["schemas"]["Problem"]>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ProblemBody | null;

  constructor(status: number, code: string, message: string, problem: ProblemBody | null) {
    super(message);
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

const FALLBACK: Record<number, string> = {
  401: "登录已失效，请重新登录",
  403: "您的角色无权执行此操作",
  404: "未找到",
  409: "当前状态不允许此操作",
  412: "诉求已被他人更新，请刷新后重试",
  422: "输入无效",
  503: "服务暂不可用，请稍后重试",
};

/** The message to show for a refused request: the API's Chinese detail plus each named field. */
export function problemMessage(status: number, body: unknown): string {
  const p = (body && typeof body === "object" ? body : {}) as ProblemBody;
  const detail = typeof p.detail === "string" && p.detail.trim() ? p.detail.trim() : "";
  const fields = Array.isArray(p.errors)
    ? p.errors
        .filter((e) => e && typeof e.field === "string" && typeof e.detail === "string" && e.detail !== detail)
        .map((e) => `${e.label ?? e.field}：${e.detail}`)
    : [];
  // the API's 以下字段无效 names each field twice (诉求人电话（complainant.phone）) for programs as well as people:
  // when it labels every field, staff read the Chinese names alone
  const labelled = Array.isArray(p.errors) && p.errors.length > 0 && p.errors.every((e) => e && typeof e.label === "string");
  if (labelled && detail.startsWith("以下字段无效")) {
    const named = [...new Set((p.errors ?? []).map((e) => e.label as string))];
    return `以下字段无效：${named.join("、")}（${fields.join("；")}）`;
  }
  const head = detail || FALLBACK[status] || (status >= 500 ? "服务器错误，请稍后重试" : `请求失败（${status}）`);
  return fields.length ? `${head}（${fields.join("；")}）` : head;
}

/** An ApiError from a failed response, reading its problem+json body when there is one. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = null; // not JSON (a proxy's HTML page): fall back to the status
  }
  const p = (body ?? null) as ProblemBody | null;
  return new ApiError(res.status, p?.code ?? "http_error", problemMessage(res.status, body), p);
}

/** Any thrown value as a Chinese message. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return "无法连接服务器，请检查网络";
  return err instanceof Error && err.message ? err.message : "未知错误";
}

/** A refusal's invalid fields as field → Chinese detail, to show each next to its input (`el-form-item :error`). */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.problem?.errors)) return {};
  const out: Record<string, string> = {};
  for (const e of err.problem.errors) if (e && typeof e.field === "string" && !(e.field in out)) out[e.field] = e.detail;
  return out;
}
