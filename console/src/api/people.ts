// 本中心人员: the names and user ids of the centre's accounts, for the pickers of 督办专人 and 回访员 (a department
// account: its own department's handlers, for 指定承办人).
import { get, query } from "./http";
import type { components } from "./schema";

export type Person = components["schemas"]["PersonOut"];

export const people = (role?: string) => get<Person[]>(`/v1/people${query({ role })}`);
