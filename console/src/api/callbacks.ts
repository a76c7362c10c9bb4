// 满意度回访中心: the queue, assignment to a call-back agent, and each call's outcome.
import { get, post, query } from "./http";
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export type CallbackRow = Schemas["CallbackRow"];
export type CallbackQueue = Schemas["CallbackQueue"];
export type CallbackSummary = Schemas["CallbackSummary"];
export type CallbackResult = Schemas["CallbackAnswer"];
export type AttemptIn = Schemas["AttemptIn"];
export type QueueQuery = NonNullable<operations["queue_v1_callbacks_queue_get"]["parameters"]["query"]>;

export const OUTCOME_LABELS: Record<AttemptIn["outcome"], string> = {
  answered: "接通",
  no_answer: "无人接听",
  refused: "拒绝回访",
  wrong_number: "号码错误",
};

export const RATING_LABELS: Record<number, string> = { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" };

export const TASK_STATE_LABELS: Record<string, string> = { open: "待回访", answered: "已回访", refused: "拒绝回访", unreachable: "无法联系" };

const base = (id: string) => `/v1/callbacks/${encodeURIComponent(id)}`;

export const callbackQueue = (q: QueueQuery) =>
  get<CallbackQueue>(`/v1/callbacks/queue${query({ ...q })}`);
export const callbackSummary = () =>
  get<CallbackSummary>("/v1/callbacks/summary");
export const assignCallback = (complaintId: string, agent: string) => post<CallbackResult>(`${base(complaintId)}/assign`, { agent });
export const recordAttempt = (complaintId: string, body: AttemptIn) => post<CallbackResult>(`${base(complaintId)}/attempts`, body);
/** 登记回访员: the caller (a call-back agent) is put on record so calls can be assigned to them. */
export const enrolAgent = () => post<Schemas["Enrolled"]>("/v1/callbacks/agents", {});
/** 主动回访: the window registers someone it served (no complaint) for a satisfaction call. */
export const registerProactive = (body: Schemas["ProactiveIn"]) => post<CallbackResult>("/v1/callbacks/proactive", body);
/** 主动回访 contact as the API shows it to this role (the phone in clear only for roles that may read it). */
export const readProactive = (id: string) => get<Schemas["ProactiveOut"]>(`/v1/callbacks/proactive/${encodeURIComponent(id)}`);
/** A call's finding as a 限期整改通知 to a unit. */
export const referToOrder = (id: string, body: Schemas["ReferIn"]) => post<Schemas["ReferredOrder"]>(`${base(id)}/order`, body);
