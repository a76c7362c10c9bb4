import { get, post } from "./http";

export interface Me {
  sub: string;
  name: string;
  roles: string[];
  department: string | null;
}

export const login = (username: string, password: string) => post<Me>("/v1/auth/login", { username, password });
export const logout = () => post<void>("/v1/auth/logout");
export const me = () => get<Me>("/v1/auth/me");
