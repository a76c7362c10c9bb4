// The one HTTP client: same-origin cookies (HttpOnly session), the CSRF token echoed on writes.
import { errorFrom } from "./problem";

export const CSRF_COOKIE = "yousu_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

/** A cookie's value from a `document.cookie` string. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

/** A query string from the set values of `params` (empty strings and nulls left out). */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

let onUnauthenticated: (() => void) | null = null;

/** Called when the API answers 401 (the session has ended). */
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const h: Record<string, string> = { Accept: "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") {
    const token = readCookie(document.cookie, CSRF_COOKIE);
    if (token) h[CSRF_HEADER] = token;
  }
  const res = await fetch(path, {
    method,
    headers: h,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && onUnauthenticated && !path.startsWith("/v1/auth/login")) onUnauthenticated();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>("GET", path);
export const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  request<T>("POST", path, body ?? {}, headers);
