// The console's types are the API's (schema.d.ts, generated from its OpenAPI): when a field's type changes on one
// side only, the type check fails. Shown on the field that once crashed the ledger and 回访中心 on every load
// (`departments`, a list in the API, read as a comma-separated string by a hand-written type).
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(__dirname, "..");
const tsc = join(root, "node_modules", ".bin", "tsc");
const FILES = ["src/api/schema.d.ts", "src/api/views.ts", "src/api/http.ts", "src/api/problem.ts", "src/utils/departments.ts"];
const dirs: string[] = [];

/** Type-checks the files above in a temporary copy, `schema.d.ts` changed by `edit`; the compiler's errors. */
function check(edit: (schema: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "yousu-contract-"));
  dirs.push(dir);
  for (const f of FILES) cpSync(join(root, f), join(dir, f), { recursive: true });
  const schema = join(dir, "src/api/schema.d.ts");
  writeFileSync(schema, edit(readFileSync(schema, "utf8")));
  const args = ["--noEmit", "--strict", "--skipLibCheck", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler"];
  try {
    execFileSync(tsc, [...args, ...FILES], { cwd: dir, encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

/** The LedgerRow schema's `departments` field as `type`. */
const ledgerDepartmentsAs = (type: string) => (schema: string) => {
  const start = schema.indexOf("        LedgerRow: {");
  const at = schema.indexOf("departments: string[];", start);
  expect(start).toBeGreaterThan(0);
  expect(at).toBeGreaterThan(start);
  return schema.slice(0, at) + `departments: ${type};` + schema.slice(at + "departments: string[];".length);
};

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("one typed contract", () => {
  it("type-checks the console's use of the generated ledger row", () => {
    expect(check((s) => s)).toBe("");
  }, 120_000);
  it("fails when the API's departments become a string and the console still treats them as a list", () => {
    expect(check(ledgerDepartmentsAs("string"))).toMatch(/departments\.ts.*Property 'map' does not exist on type 'string'/);
  }, 120_000);
});
