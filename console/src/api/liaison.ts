// 纪检联络: the 抄送纪检 inbox and the weekly / monthly digest. Calls only; every type is generated (schema.d.ts).
import { get, query } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];
export type LiaisonInbox = Schemas["LiaisonInbox"];
export type LiaisonDigest = Schemas["LiaisonDigestOut"];
export type DigestPeriod = LiaisonDigest["period"];

export const liaisonInbox = () => get<LiaisonInbox>("/v1/liaison/inbox");
/** The digest of the period containing `on` (YYYY-MM-DD); without it, the last period that has ended. */
export const liaisonDigest = (period: DigestPeriod, on?: string) => get<LiaisonDigest>(`/v1/liaison/digest${query({ period, on })}`);
/** The export link of the same digest (the browser downloads it with the session cookie). */
export const liaisonDigestUrl = (period: DigestPeriod, on: string | undefined, format: "csv" | "xlsx") =>
  `/v1/liaison/digest${query({ period, on, format })}`;
