// Handling beside the main line (并单, 退单/改派/坚持交办, 延期, 中止计时): which commands a role is offered on a
// complaint, and their Chinese names. The API still decides every request; a refused one shows its `detail`.

export type HandlingKind =
  | "merge"
  | "unmerge"
  | "return"
  | "redispatch"
  | "insist"
  | "extension"
  | "approve_extension"
  | "refuse_extension"
  | "pause"
  | "resume";

export const HANDLING_TITLES: Record<HandlingKind, string> = {
  merge: "并单",
  unmerge: "取消并单",
  return: "退单",
  redispatch: "改派",
  insist: "坚持交办",
  extension: "申请延期",
  approve_extension: "批准延期",
  refuse_extension: "不予延期",
  pause: "中止计时",
  resume: "材料已到，恢复计时",
};

/** The success message after each command. */
export const HANDLING_DONE: Record<HandlingKind, string> = {
  merge: "已并单",
  unmerge: "已取消并单",
  return: "已退单",
  redispatch: "已改派",
  insist: "已坚持交办",
  extension: "已申请延期",
  approve_extension: "已批准延期",
  refuse_extension: "已不予延期",
  pause: "已中止计时",
  resume: "已恢复计时",
};

/** What a duty leader's decision waits for (`pending` of GET /v1/worklist's `decisions`). */
export const PENDING_LABELS: Record<string, string> = { return: "退单", extension: "延期申请" };

/** The two commands that answer a pending decision. */
export function decisionActions(pending: string | null | undefined): HandlingKind[] {
  if (pending === "return") return ["redispatch", "insist"];
  if (pending === "extension") return ["approve_extension", "refuse_extension"];
  return [];
}

/** The parts of a complaint that decide which handling commands are offered. */
export interface HandlingState {
  status: string;
  merged_into?: string | null;
  pending_return?: string | null;
  pending_extension_days?: number | null;
  paused_at?: string | null;
}

// a complaint not yet resolved (a duplicate may be merged into an earlier one until then)
const OPEN = ["received", "classified", "officer_signed", "signed", "dispatched", "consulted"];
// a department handles it: it may return it, ask for more time or pause the clock
const HANDLING = ["dispatched", "consulted"];

/** The handling commands offered to `roles` on a complaint in state `c`, in the order shown. */
export function handlingActions(roles: readonly string[], c: HandlingState): HandlingKind[] {
  const out: HandlingKind[] = [];
  if (roles.includes("duty_leader")) {
    if (c.status === "merged" || c.merged_into) out.push("unmerge");
    else if (OPEN.includes(c.status)) out.push("merge");
    if (c.pending_return) out.push(...decisionActions("return"));
    if (c.pending_extension_days) out.push(...decisionActions("extension"));
  }
  if (roles.includes("department") && HANDLING.includes(c.status)) {
    // offered whenever it handles the complaint: a refusal (a pending 退单, a passed deadline…) says why
    out.push("return", "extension");
    if (!c.paused_at) out.push("pause");
  }
  if (roles.includes("window_clerk") && c.paused_at) out.push("resume");
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The master named for 并单: a complaint id (UUID) or a 受理单号, or null when empty. */
export function masterRef(input: string): { id: string } | { slip: string } | null {
  const v = input.trim();
  if (!v) return null;
  return UUID_RE.test(v) ? { id: v.toLowerCase() } : { slip: v };
}
