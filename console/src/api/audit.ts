import { get, post, query } from "./http";
import { ApiError } from "./problem";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type CoveringAnchor = Schemas["CoveringAnchor"];
/** The chain check of one complaint (`anchor` is always given when a complaint is named). */
export type ChainBadge = Schemas["VerifyReport"];

/** GET /v1/audit/verify?complaint_id=: the chain check (409 carries the same body with findings). */
export async function verifyComplaint(id: string): Promise<ChainBadge> {
  try {
    return await get<ChainBadge>(`/v1/audit/verify${query({ complaint_id: id })}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 409 && e.problem && "findings" in e.problem) {
      return e.problem as unknown as ChainBadge;
    }
    throw e;
  }
}

/** POST /v1/audit/anchors: anchor every complaint's head now (204: nothing changed since the last one). */
export const anchorNow = () => post<Schemas["AnchorRecord"] | undefined>("/v1/audit/anchors");

/** The download link of one complaint's offline bundle (the browser sends the session cookie). */
export const bundleUrl = (id: string, allowUnanchored: boolean) =>
  `/v1/audit/bundle${query({ complaint_id: id, allow_unanchored: allowUnanchored || undefined })}`;

