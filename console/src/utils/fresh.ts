// Read your own writes on a list page, whatever order the answers come back in.
//
// A page reloads its list after each command it sends, with the command's notification number (`?after=`), and
// also whenever a filter changes. Two loads can be in flight at once (a command that also switches a filter: the
// watcher's load and the command's), and under load the one sent first may answer last. Without care the page then
// shows the older answer: the item just registered vanishes. Every load therefore carries the newest number this
// page has written, and only the newest load's answer (or error) is shown.

export interface FreshLoads {
  /** Remember a command's notification number: every later load waits until the views include it. */
  wrote(position: number | null | undefined): void;
  /** Run a load with the newest written number; its result, or `null` when a newer load was started meanwhile. */
  load<T>(fetch: (after: number | undefined) => Promise<T>): Promise<T | null>;
}

export function freshLoads(): FreshLoads {
  let written: number | undefined;
  let issued = 0;
  return {
    wrote(position) {
      if (position !== null && position !== undefined) written = Math.max(written ?? 0, position);
    },
    async load(fetch) {
      const mine = ++issued;
      try {
        const out = await fetch(written);
        return mine === issued ? out : null;
      } catch (e) {
        if (mine === issued) throw e;
        return null; // a newer load answers for the page
      }
    },
  };
}
