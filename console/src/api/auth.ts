import { get, post } from "./http";
import type { components } from "./schema";

export type Me = components["schemas"]["MeOut"];

export const login = (username: string, password: string) =>
  post<Me>("/v1/auth/login", { username, password } satisfies components["schemas"]["LoginIn"]);
export const logout = () => post<void>("/v1/auth/logout");
export const me = () => get<Me>("/v1/auth/me");
/** What an account may do (the API's permission matrix answers it in `Me.actions`). */
export type Action = components["schemas"]["Action"];
