import { get } from "./http";

export interface Reference {
  departments: Record<string, string>;
  categories: Record<string, string>;
}

// The district's default codes (ops/reference.toml's built-in defaults), used when /v1/reference is absent.
export const FALLBACK_REFERENCE: Reference = {
  departments: { market: "市场监管", housing: "住建", hrss: "人社", tax: "税务", police: "公安", civil: "民政" },
  categories: {
    market_regulation: "市场监管",
    housing: "住房城建",
    social_security: "社会保障",
    tax: "税务",
    household_registration: "户籍",
    other: "其他",
  },
};

let cached: Reference | null = null;

/** GET /v1/reference when the service has it, else the built-in list. */
export async function loadReference(): Promise<Reference> {
  if (cached) return cached;
  try {
    const r = await get<Partial<Reference>>("/v1/reference");
    cached = {
      departments: r.departments && Object.keys(r.departments).length ? r.departments : FALLBACK_REFERENCE.departments,
      categories: r.categories && Object.keys(r.categories).length ? r.categories : FALLBACK_REFERENCE.categories,
    };
  } catch {
    cached = FALLBACK_REFERENCE;
  }
  return cached;
}
