// Which pages the signed-in account may use: each page names the action that opens it, and the account's
// actions come from the API (`/v1/auth/me`'s `actions`, from the one permission matrix, src/api/permissions.py).
// The console keeps no copy of who may do what; the API still decides every request.
import type { Action } from "@/api/auth";

export interface MenuItem {
  path: string;
  title: string;
  /** any of these actions opens the page */
  actions: Action[];
}

export const MENU: MenuItem[] = [
  { path: "/intake", title: "受理", actions: ["classify"] }, // 受理 and 分类 at the window
  { path: "/sign", title: "待签", actions: ["sign_officer", "sign_leader"] },
  { path: "/dispatch", title: "转办", actions: ["dispatch"] },
  { path: "/department", title: "部门待办", actions: ["resolve"] },
  { path: "/inbox", title: "收件箱", actions: ["read_inbox"] },
  { path: "/liaison", title: "纪检联络", actions: ["read_liaison_inbox"] },
  { path: "/ledger", title: "工作台账", actions: ["read_ledger"] }, // 工作台账留存窗口: the clerk reads it too
  { path: "/dashboard", title: "统计", actions: ["read_views"] },
  // 未诉先办
  { path: "/topics", title: "高频事项", actions: ["read_views"] },
  { path: "/forecast", title: "预测与潮汐", actions: ["read_forecast"] },
  { path: "/orders", title: "整改通知", actions: ["read_orders"] },
  { path: "/callbacks", title: "回访中心", actions: ["assign_callback", "record_callback"] },
  { path: "/knowledge", title: "知识库", actions: ["read_knowledge"] },
  { path: "/cases", title: "指导案例", actions: ["read_cases"] },
  // a hall's first day: the month's duty roster and the staff accounts (the administrator)
  { path: "/roster", title: "值班表导入", actions: ["import_roster"] },
  { path: "/accounts", title: "账号管理", actions: ["manage_accounts"] },
];

const any = (wanted: readonly Action[], actions: readonly string[]) => wanted.some((a) => actions.includes(a));

/** The menu entries the account's `actions` open, in menu order. */
export function menusFor(actions: readonly string[]): MenuItem[] {
  return MENU.filter((m) => any(m.actions, actions));
}

/** Whether `actions` open `path` (complaint pages are open to every account that reads state). */
export function mayOpen(path: string, actions: readonly string[]): boolean {
  if (path.startsWith("/complaints/")) return actions.includes("read_state");
  const item = MENU.find((m) => path === m.path || path.startsWith(`${m.path}/`));
  return item ? any(item.actions, actions) : true;
}

/** Where to go after signing in: the first page the account may use. */
export function homeFor(actions: readonly string[]): string {
  return menusFor(actions)[0]?.path ?? "/complaints";
}
