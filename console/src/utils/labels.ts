// Chinese labels for the API's codes (staff read labels; the API speaks codes).

export const ROLE_LABELS: Record<string, string> = {
  window_clerk: "窗口工作人员",
  duty_officer: "当天值班人员",
  duty_leader: "带班领导",
  department: "窗口部门经办人",
  supervisor: "督办专人",
  liaison: "纪检监察联络员",
  analyst: "分析人员",
  hotline: "热线接口",
  callback_agent: "回访员",
  admin: "管理员",
};

export const STATUS_LABELS: Record<string, string> = {
  received: "已受理",
  classified: "已分类",
  officer_signed: "值班人员已签",
  signed: "已审核签字",
  dispatched: "已转办",
  consulted: "已会商",
  resolved: "已办结",
  fed_back: "已反馈",
  rectifying: "整改中",
  closed: "已回访",
  merged: "已并单",
  withdrawn: "已撤诉",
};

export const CLASSIFICATION_LABELS: Record<string, string> = {
  general: "一般性问题",
  cannot_do: "办不了",
  hard_to_do: "很难办",
  refused_to_do: "不给办",
};

export const CHANNEL_LABELS: Record<string, string> = { window: "窗口", hotline: "12345热线", online: "网上" };

export const RATE_LABELS: Record<string, string> = {
  response: "接诉响应率",
  closure: "问题办结率",
  on_time_closure: "按期办结率（含批准延期）",
  on_time_closure_original: "按原时限办结率",
  satisfaction: "群众满意率",
  return: "退单率",
  bad_rating: "差评率",
  appeal_upheld: "差评申诉成立率",
  callback: "回访率",
};

export const GROUP_BY_LABELS: Record<string, string> = {
  centre: "按服务中心",
  department: "按部门",
  category: "按类别",
  channel: "按渠道",
  month: "按月份",
};

export const label = (table: Record<string, string>, code: string | null | undefined): string =>
  code ? (table[code] ?? code) : "—";

/** 差评申诉 in the 台账: the latest appeal's outcome. */
export const APPEAL_LABELS: Record<string, string> = { pending: "申诉中", upheld: "申诉成立", refused: "申诉不成立" };
