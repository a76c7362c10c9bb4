import { defineStore } from "pinia";
import * as auth from "@/api/auth";
import type { Action, Me } from "@/api/auth";
import { menusFor } from "@/router/menu";

export const useUserStore = defineStore("user", {
  state: () => ({ me: null as Me | null, checked: false }),
  getters: {
    roles: (s): string[] => s.me?.roles ?? [],
    /** What the account may do, as the API's permission matrix says (`/v1/auth/me`). */
    allowed: (s): string[] => s.me?.actions ?? [],
    menus(): ReturnType<typeof menusFor> {
      return menusFor(this.allowed);
    },
  },
  actions: {
    /** Whether the account may take `action` (menus and buttons follow it; the API decides). */
    may(action: Action): boolean {
      return this.me?.actions?.includes(action) ?? false;
    },
    async load(): Promise<Me | null> {
      try {
        this.me = await auth.me();
      } catch {
        this.me = null;
      }
      this.checked = true;
      return this.me;
    },
    async login(username: string, password: string): Promise<Me> {
      this.me = await auth.login(username, password);
      this.checked = true;
      return this.me;
    },
    async logout(): Promise<void> {
      try {
        await auth.logout();
      } finally {
        this.me = null;
      }
    },
  },
});
