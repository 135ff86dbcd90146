/**
 * Where a new consumer starts reading, from its deliver policy and the stream's current state.
 */
import type { Store } from "../../store/types.js";
import type { ConsumerConfig } from "./config.js";
import { consumerFilters } from "./config.js";
import { emptyState, type ConsumerState } from "./state.js";

/** Bound on subjects examined for deliver_policy last_per_subject. */
export const lastPerSubjectSubjectsMax = 1_000_000;

export async function initialState(cfg: ConsumerConfig, store: Store): Promise<ConsumerState> {
  const st = store.state();
  const filters = consumerFilters(cfg);
  const firstSeq = Math.max(1, st.first_seq);
  switch (cfg.deliver_policy) {
    case "all":
      return emptyState(firstSeq);
    case "new":
      return emptyState(st.last_seq + 1);
    case "by_start_sequence":
      return emptyState(Math.max(1, cfg.opt_start_seq ?? 1));
    case "by_start_time": {
      const ms = Date.parse(cfg.opt_start_time ?? "");
      const seq = await store.firstAtOrAfterTime(BigInt(Math.max(0, ms)) * 1_000_000n);
      return emptyState(seq > 0 ? seq : st.last_seq + 1);
    }
    case "last": {
      if (st.msgs === 0) return emptyState(st.last_seq + 1);
      if (filters.length === 0) return emptyState(st.last_seq);
      let best = 0;
      for (const f of filters) {
        const m = await store.lastBySubject(f);
        if (m !== undefined && m.seq > best) best = m.seq;
      }
      return emptyState(best > 0 ? best : st.last_seq + 1);
    }
    case "last_per_subject": {
      const seqs = new Set<number>();
      let examined = 0;
      for (const f of filters.length === 0 ? [">"] : filters) {
        for (const subject of store.subjectCounts(f).keys()) {
          if (++examined > lastPerSubjectSubjectsMax) break;
          const m = await store.lastBySubject(subject);
          if (m !== undefined) seqs.add(m.seq);
        }
      }
      if (seqs.size === 0) return emptyState(st.last_seq + 1);
      let min = Infinity;
      for (const q of seqs) if (q < min) min = q;
      const s = emptyState(min);
      s.lpsSeqs = seqs;
      s.lpsEnd = st.last_seq;
      return s;
    }
  }
}
