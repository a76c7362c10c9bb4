// The main line's commands beside 受理/分类/签字/转办/办结: 会商, 改分类, 当场答复, 反馈, 回访, 差评申诉 and its
// review (src/api/routes/complaint_commands.py), and 指定承办人 (src/api/routes/complaint_handling.py).
import { post } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];
type CommandOut = Schemas["CommandOut"];

const base = (id: string) => `/v1/complaints/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const consult = (id: string, body: Schemas["ConsultIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/consult`, body, ifMatch(version));
export const reclassify = (id: string, body: Schemas["ReclassifyIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/reclassify`, body, ifMatch(version));
export const feedback = (id: string, body: Schemas["FeedbackIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/feedback`, body, ifMatch(version));
export const callBack = (id: string, body: Schemas["CallbackIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/callback`, body, ifMatch(version));
export const onTheSpot = (id: string, body: Schemas["OnTheSpotIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/on-the-spot`, body, ifMatch(version));
export const appealRating = (id: string, body: Schemas["RatingAppealIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/rating-appeal`, body, ifMatch(version));
export const decideAppeal = (id: string, body: Schemas["AppealDecisionIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/rating-appeal/decision`, body, ifMatch(version));
export const assignHandler = (id: string, body: Schemas["AssignHandlerIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/handler`, body, ifMatch(version));
