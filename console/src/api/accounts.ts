// 账号管理 (the administrator): list, add, disable/enable, change roles, reset a password.
import { get, post } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];
export type Account = Schemas["AccountOut"];
export type AccountIn = Schemas["AccountIn"];
export type RolesIn = Schemas["RolesIn"];

const base = (username: string) => `/v1/accounts/${encodeURIComponent(username)}`;

export const listAccounts = () => get<Schemas["AccountsOut"]>("/v1/accounts");
export const addAccount = (body: AccountIn) => post<Account>("/v1/accounts", body);
export const setDisabled = (username: string, disabled: boolean) =>
  post<Account>(`${base(username)}/${disabled ? "disable" : "enable"}`);
export const setRoles = (username: string, body: RolesIn) => post<Account>(`${base(username)}/roles`, body);
export const resetPassword = (username: string, password: string) =>
  post<Schemas["PasswordResetOut"]>(`${base(username)}/reset-password`, { password } satisfies Schemas["PasswordIn"]);
