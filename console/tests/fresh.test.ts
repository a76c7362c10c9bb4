import { describe, expect, it } from "vitest";
import { freshLoads } from "../src/utils/fresh";

/** A fetch that answers when told to, recording the `after` it was sent with. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("freshLoads", () => {
  it("sends every load with the newest number the page wrote", async () => {
    const f = freshLoads();
    const seen: (number | undefined)[] = [];
    await f.load(async (after) => seen.push(after));
    f.wrote(41);
    f.wrote(null);
    f.wrote(7); // an older number never lowers it
    await f.load(async (after) => seen.push(after));
    expect(seen).toEqual([undefined, 41]);
  });

  it("shows the newest load even when an older one answers after it", async () => {
    const f = freshLoads();
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = f.load(() => older.promise); // a filter's watcher: sent first, stale
    f.wrote(12);
    const second = f.load(() => newer.promise); // the command's own reload
    newer.resolve("with the new row");
    older.resolve("without it");
    expect(await second).toBe("with the new row");
    expect(await first).toBeNull();
  });

  it("drops an older load's error and throws the newest one's", async () => {
    const f = freshLoads();
    const older = deferred<string>();
    const first = f.load(() => older.promise);
    const second = f.load(() => Promise.reject(new Error("503")));
    older.reject(new Error("stale"));
    expect(await first).toBeNull();
    await expect(second).rejects.toThrow("503");
  });
});
