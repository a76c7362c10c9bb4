import { get, post, query } from "./http";
import { ApiError } from "./problem";

export interface CoveringAnchor {
  number: number;
  anchored_at: string;
  version: number;
}

export interface ChainBadge {
  ok: boolean;
  events_checked: number;
  anchor: CoveringAnchor | null;
  findings: { version: number; problem: string; detail?: string }[];
}

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
export const anchorNow = () => post<unknown>("/v1/audit/anchors");

/** The download link of one complaint's offline bundle (the browser sends the session cookie). */
export const bundleUrl = (id: string, allowUnanchored: boolean) =>
  `/v1/audit/bundle${query({ complaint_id: id, allow_unanchored: allowUnanchored || undefined })}`;

