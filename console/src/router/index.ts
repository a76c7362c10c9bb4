import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { useUserStore } from "@/stores/user";
import { homeFor, mayOpen } from "./menu";
import Layout from "@/layout/index.vue";

const routes: RouteRecordRaw[] = [
  { path: "/login", name: "login", component: () => import("@/views/login/index.vue"), meta: { title: "登录" } },
  {
    path: "/",
    component: Layout,
    children: [
      { path: "", name: "home", redirect: () => "/intake" },
      { path: "intake", component: () => import("@/views/intake/index.vue"), meta: { title: "受理" } },
      { path: "sign", component: () => import("@/views/sign/index.vue"), meta: { title: "待签" } },
      { path: "dispatch", component: () => import("@/views/dispatch/index.vue"), meta: { title: "转办" } },
      { path: "department", component: () => import("@/views/department/index.vue"), meta: { title: "部门待办" } },
      { path: "inbox", component: () => import("@/views/inbox/index.vue"), meta: { title: "收件箱" } },
      { path: "liaison", component: () => import("@/views/liaison/index.vue"), meta: { title: "纪检联络" } },
      { path: "ledger", component: () => import("@/views/ledger/index.vue"), meta: { title: "“有诉即应”工作台账" } },
      { path: "dashboard", component: () => import("@/views/dashboard/index.vue"), meta: { title: "统计" } },
      { path: "topics", component: () => import("@/views/topics/index.vue"), meta: { title: "高频事项" } },
      { path: "forecast", component: () => import("@/views/forecast/index.vue"), meta: { title: "预测与潮汐" } },
      { path: "orders", component: () => import("@/views/orders/index.vue"), meta: { title: "整改通知" } },
      { path: "callbacks", component: () => import("@/views/callbacks/index.vue"), meta: { title: "回访中心" } },
      { path: "knowledge", component: () => import("@/views/knowledge/index.vue"), meta: { title: "知识库" } },
      { path: "cases", component: () => import("@/views/cases/index.vue"), meta: { title: "指导案例" } },
      { path: "complaints", component: () => import("@/views/complaint/find.vue"), meta: { title: "查找诉求" } },
      { path: "complaints/:id", component: () => import("@/views/complaint/index.vue"), meta: { title: "诉求详情" } },
      { path: "roster", component: () => import("@/views/roster/index.vue"), meta: { title: "值班表导入" } },
      { path: "accounts", component: () => import("@/views/accounts/index.vue"), meta: { title: "账号管理" } },
    ],
  },
  // 受理单: a page of its own (no menu, no header), for printing on A4 or A5
  { path: "/complaints/:id/slip", component: () => import("@/views/complaint/slip.vue"), meta: { title: "受理单" } },
  { path: "/:rest(.*)*", redirect: "/" },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const user = useUserStore();
  if (!user.checked) await user.load();
  if (to.path === "/login") return user.me ? homeFor(user.allowed) : true;
  if (!user.me) return { path: "/login", query: { redirect: to.fullPath } };
  if (to.path === "/" || to.path === "/intake") {
    if (!mayOpen("/intake", user.allowed)) return homeFor(user.allowed);
  }
  if (!mayOpen(to.path, user.allowed)) return homeFor(user.allowed);
  return true;
});

router.afterEach((to) => {
  document.title = `${(to.meta.title as string | undefined) ?? "工作台"} · 有诉即办`;
});
