import { createApp } from "vue";
import { createPinia } from "pinia";
import ElementPlus from "element-plus";
import zhCn from "element-plus/es/locale/lang/zh-cn";
import "element-plus/dist/index.css";
import App from "./App.vue";
import { router } from "./router";
import { setUnauthenticatedHandler } from "./api/http";
import { useUserStore } from "./stores/user";

const app = createApp(App);
app.use(createPinia());
app.use(router);
app.use(ElementPlus, { locale: zhCn });
setUnauthenticatedHandler(() => {
  useUserStore().me = null;
  if (router.currentRoute.value.path !== "/login") void router.push({ path: "/login", query: { expired: "1" } });
});
app.mount("#app");
