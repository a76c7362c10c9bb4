import { defineStore } from "pinia";

export interface Recorded {
  id: string;
  slip_no: string;
  at: string;
}

// The complaints this clerk recorded in this browser session (the ledger is not open to window clerks).
export const useSessionStore = defineStore("session", {
  state: () => ({ recorded: JSON.parse(sessionStorage.getItem("yousu.recorded") ?? "[]") as Recorded[] }),
  actions: {
    remember(r: Recorded) {
      this.recorded = [r, ...this.recorded.filter((x) => x.id !== r.id)].slice(0, 200);
      sessionStorage.setItem("yousu.recorded", JSON.stringify(this.recorded));
    },
  },
});
