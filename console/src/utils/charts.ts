// Saving a chart as an image: the file name from the chart's title, the PNG from ECharts' data URL.

/** The chart's title (what the file is called), or "图表". */
export function imageName(option: object | null): string {
  const title = (option as { title?: { text?: unknown } } | null)?.title?.text;
  const name = typeof title === "string" && title.trim() ? title.trim() : "图表";
  return name.replace(/[\\/:*?"<>|]/g, "_");
}

/** A `data:image/png;base64,…` URL as a Blob (downloaded through an object URL). */
export function dataUrlToBlob(url: string): Blob {
  const [head, body = ""] = url.split(",", 2);
  const type = /^data:([^;,]+)/.exec(head)?.[1] ?? "application/octet-stream";
  const bytes = head.endsWith(";base64") ? Uint8Array.from(atob(body), (c) => c.charCodeAt(0)) : new TextEncoder().encode(decodeURIComponent(body));
  return new Blob([bytes], { type });
}
