import { get, post, query } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];

/** A published knowledge-base entry offered while the clerk types what the person says. */
export type Suggestion = Schemas["KnowledgeHit"];

/** GET /v1/knowledge/suggest: the best published entries for `text` (none when nothing matches). */
export const suggest = (text: string, limit = 3) =>
  get<Schemas["KnowledgeHits"]>(`/v1/knowledge/suggest${query({ text, limit })}`);
/** POST /v1/knowledge/{id}/used: the entry's answer was given for this complaint (知识库答复次数). */
export const markUsed = (entryId: string, complaintId: string) =>
  post<Schemas["KnowledgeEntryOut"]>(`/v1/knowledge/${encodeURIComponent(entryId)}/used`, {
    complaint_id: complaintId,
  } satisfies Schemas["UsedIn"]);
