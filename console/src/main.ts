import { createApp } from "vue";
import { createPinia } from "pinia";
import "element-plus/theme-chalk/base.css";
import "element-plus/theme-chalk/el-message.css";
import App from "./App.vue";
import { router } from "./router";
import { setUnauthenticatedHandler } from "./api/http";
import { useUserStore } from "./stores/user";

const app = createApp(App);
app.use(createPinia());
app.use(router);
setUnauthenticatedHandler(() => {
  useUserStore().me = null;
  if (router.currentRoute.value.path !== "/login") void router.push({ path: "/login", query: { expired: "1" } });
});
app.mount("#app");
