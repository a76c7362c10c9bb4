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
  | "resume"
  | "uphold_appeal"
  | "reject_appeal"
  | StepKind;

/** The main line's steps taken on the complaint page: 会商, 指定承办人, 改分类, 当场答复, 反馈, 回访, 差评申诉. */
export type StepKind = "consult" | "assign_handler" | "reclassify" | "on_the_spot" | "feedback" | "callback" | "appeal";

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
  uphold_appeal: "申诉成立",
  reject_appeal: "申诉不成立",
  consult: "会商",
  assign_handler: "指定承办人",
  reclassify: "改分类",
  on_the_spot: "当场答复",
  feedback: "反馈",
  callback: "回访",
  appeal: "差评申诉",
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
  uphold_appeal: "申诉成立，差评不计入",
  reject_appeal: "申诉不成立，继续整改",
  consult: "已记录会商",
  assign_handler: "已指定承办人",
  reclassify: "已改分类",
  on_the_spot: "已当场答复",
  feedback: "已反馈",
  callback: "已记录回访",
  appeal: "已提交差评申诉",
};

/** 反馈方式 as the notice names them (recorded as said). */
export const FEEDBACK_METHODS = ["当面", "电话", "短信", "热线"] as const;

/** What a duty leader's decision waits for (`pending` of GET /v1/worklist's `decisions`). */
export const PENDING_LABELS: Record<string, string> = { return: "退单", extension: "延期申请", appeal: "差评申诉" };

/** The two commands that answer a pending decision. */
export function decisionActions(pending: string | null | undefined): HandlingKind[] {
  if (pending === "return") return ["redispatch", "insist"];
  if (pending === "extension") return ["approve_extension", "refuse_extension"];
  if (pending === "appeal") return ["uphold_appeal", "reject_appeal"];
  return [];
}

/** The parts of a complaint that decide which handling commands are offered. */
export interface HandlingState {
  status: string;
  merged_into?: string | null;
  pending_return?: string | null;
  pending_extension_days?: number | null;
  paused_at?: string | null;
  classification?: string | null;
  reclassified_from?: string | null;
  channel?: string;
  pending_appeal?: boolean;
  /** 承办部门 (codes) */
  departments?: string[];
}

// a complaint not yet resolved (a duplicate may be merged into an earlier one until then)
const OPEN = ["received", "classified", "officer_signed", "signed", "dispatched", "consulted"];
// a department handles it: it may return it, ask for more time or pause the clock
const HANDLING = ["dispatched", "consulted"];

/** The handling commands offered to an account that may take `actions` (its `/v1/auth/me` actions, from the
 * API's permission matrix) on a complaint in state `c`, in the order shown. */
export function handlingActions(actions: readonly string[], c: HandlingState): HandlingKind[] {
  const out: HandlingKind[] = [];
  const may = (a: string) => actions.includes(a);
  if (may("merge")) {
    if (c.status === "merged" || c.merged_into) out.push("unmerge");
    else if (OPEN.includes(c.status)) out.push("merge");
  }
  if (may("redispatch") && c.pending_return) out.push(...decisionActions("return"));
  if (may("decide_extension") && c.pending_extension_days) out.push(...decisionActions("extension"));
  if (may("decide_appeal") && c.pending_appeal) out.push(...decisionActions("appeal"));
  if (HANDLING.includes(c.status)) {
    // offered whenever it handles the complaint: a refusal (a pending 退单, a passed deadline…) says why
    if (may("return_complaint")) out.push("return");
    if (may("request_extension")) out.push("extension");
    if (may("pause_clock") && !c.paused_at) out.push("pause");
  }
  if (may("resume_clock") && c.paused_at) out.push("resume");
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The master named for 并单: a complaint id (UUID) or a 受理单号, or null when empty. */
export function masterRef(input: string): { id: string } | { slip: string } | null {
  const v = input.trim();
  if (!v) return null;
  return UUID_RE.test(v) ? { id: v.toLowerCase() } : { slip: v };
}

// a complaint with its departments: 会商 (also during a rectification round)
const CONSULTING = ["dispatched", "consulted", "rectifying"];

/** The main-line steps offered on a complaint in state `c` to an account that may take `actions` (of
 * `department`, for a department account): 会商 while departments handle it, 指定承办人 by a department it is with
 * (its 负责人 names its handler), 改分类 of a general complaint not yet resolved (once), 反馈 once resolved, 回访
 * once fed back. The API still decides (a refusal shows its Chinese `detail`). */
export function stepActions(actions: readonly string[], c: HandlingState, department?: string | null): StepKind[] {
  const out: StepKind[] = [];
  const may = (a: string) => actions.includes(a);
  if (may("consult") && CONSULTING.includes(c.status)) out.push("consult");
  if (may("assign_handler") && CONSULTING.includes(c.status) && !!department && c.departments?.includes(department)) {
    out.push("assign_handler");
  }
  if (may("reclassify") && c.classification === "general" && !c.reclassified_from && OPEN.includes(c.status)) {
    out.push("reclassify");
  }
  // 一般性问题当场予以解决: a general question received at the window, answered there (办结 + 当面反馈)
  if (may("answer_on_the_spot") && c.classification === "general" && c.status === "classified" && c.channel === "window") {
    out.push("on_the_spot");
  }
  if (may("feedback") && c.status === "resolved") out.push("feedback");
  if (may("callback") && c.status === "fed_back") out.push("callback");
  if (may("appeal_rating") && c.status === "rectifying" && !c.pending_appeal) out.push("appeal");
  return out;
}
