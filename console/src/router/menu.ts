// Which pages each role may use, following the API's permission matrix (src/api/permissions.py).
// The API still decides every request; the menu only hides what would be refused.

export interface MenuItem {
  path: string;
  title: string;
  roles: string[];
}

const VIEW_READERS = ["analyst", "duty_leader", "duty_officer", "supervisor", "liaison", "admin"];
// every staff role (knowledge and guidance cases are open to all who read)
const STAFF = ["window_clerk", "duty_officer", "duty_leader", "department", "supervisor", "liaison", "analyst", "callback_agent", "admin"];

export const MENU: MenuItem[] = [
  { path: "/intake", title: "受理", roles: ["window_clerk"] },
  { path: "/sign", title: "待签", roles: ["duty_officer", "duty_leader"] },
  { path: "/dispatch", title: "转办", roles: ["duty_leader"] },
  { path: "/department", title: "部门待办", roles: ["department", "window_clerk"] },
  { path: "/inbox", title: "收件箱", roles: ["duty_leader", "supervisor"] },
  { path: "/ledger", title: "工作台账", roles: VIEW_READERS },
  { path: "/dashboard", title: "统计", roles: VIEW_READERS },
  // 未诉先办 (each list follows its read action in src/api/permissions.py)
  { path: "/topics", title: "高频事项", roles: VIEW_READERS },
  { path: "/forecast", title: "预测与潮汐", roles: ["analyst", "duty_leader", "duty_officer", "admin"] },
  { path: "/orders", title: "整改通知", roles: ["duty_leader", "duty_officer", "liaison", "supervisor", "analyst", "admin", "department"] },
  { path: "/callbacks", title: "回访中心", roles: ["callback_agent", "window_clerk", "duty_officer", "duty_leader"] },
  { path: "/knowledge", title: "知识库", roles: STAFF },
  { path: "/cases", title: "指导案例", roles: STAFF },
];

/** The menu entries any of `roles` may use, in menu order. */
export function menusFor(roles: readonly string[]): MenuItem[] {
  return MENU.filter((m) => m.roles.some((r) => roles.includes(r)));
}

/** Whether `roles` may open `path` (complaint pages are open to every role that reads state). */
export function mayOpen(path: string, roles: readonly string[]): boolean {
  if (path.startsWith("/complaints/")) return roles.length > 0;
  const item = MENU.find((m) => path === m.path || path.startsWith(`${m.path}/`));
  return item ? item.roles.some((r) => roles.includes(r)) : true;
}

/** Where to go after signing in: the first page the role may use. */
export function homeFor(roles: readonly string[]): string {
  return menusFor(roles)[0]?.path ?? "/complaints";
}
