// The events section's deliveries checked against the model (scripts/bench/events-model.ts):
// every (subscriber, event) the model expects, and nothing else.
import type { Subscriber } from "./events-clients";
import type { Model, RunEvent } from "./events-model";
import type { SubscribersReport } from "./ws-clients";

export interface Checked {
  expected: number;
  delivered: number;
  lost: number;
  notEntitled: number;
  duplicates: number;
  outside: number;
  leaked: number;
  withheld: number;
  otherErrors: number;
  /** receipt minus commit, sorted */
  latencies: Float64Array;
  /** receipt minus the event's `at`, sorted */
  fromAt: Float64Array;
  lostSample: string | null;
  leakSample: string | null;
}

const KEY = 1e9; // seq < 1e9: a (subscriber, event) pair is subscriber * KEY + seq

/** The (subscriber, event) pairs the model expects: per (party, type), its subscribers hear what the party may read the STATUS of. */
function expectedPairs(model: Model, subs: Subscriber[], events: RunEvent[], firstSub: number): Set<number> {
  const subsOf = new Map<string, number[]>();
  subs.forEach((s, i) => {
    const k = `${s.party.id}|${s.type}`;
    subsOf.set(k, [...(subsOf.get(k) ?? []), i + firstSub]);
  });
  const parties = [...new Set(subs.map((s) => s.party))];
  const expected = new Set<number>();
  for (const e of events) {
    for (const p of parties) {
      const list = subsOf.get(`${p.id}|${e.type}`);
      if (list && model.may(p, p.role, e.holder, e.declaration, "STATUS")) for (const i of list) expected.add(i * KEY + e.seq);
    }
  }
  return expected;
}

/**
 * Deliveries against the model: every (subscriber, event) the model expects, and nothing else.
 * `commitAt`: when each declaration's write committed (one hold per declaration in a run).
 */
export function check(model: Model, subs: Subscriber[], events: RunEvent[], report: SubscribersReport, commitAt: Map<string, number>, firstSub = 0): Checked {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const expected = expectedPairs(model, subs, events, firstSub);
  const seen = new Set<number>();
  const c = { duplicates: 0, notEntitled: 0, outside: 0, leaked: 0, withheld: 0, otherErrors: 0, leakSample: null as string | null };
  const latencies: number[] = [];
  const fromAt: number[] = [];
  for (let k = 0; k < report.count; k++) {
    const sub = report.sub[k];
    const seq = report.seq[k];
    const key = sub * KEY + seq;
    if (seen.has(key)) {
      c.duplicates++;
      continue;
    }
    seen.add(key);
    const e = bySeq.get(seq);
    if (!e) {
      c.outside++;
      continue;
    }
    if (!expected.has(key)) {
      c.notEntitled++;
      c.leakSample ??= `event ${seq} (${e.type}) reached ${subs[sub - firstSub]?.party.name}`;
      continue;
    }
    const committed = commitAt.get(e.declaration.id);
    if (committed !== undefined) latencies.push(report.receivedAt[k] - committed);
    fromAt.push(report.receivedAt[k] - e.at);
    checkMasks(model, subs[sub - firstSub], e, report.flags[k], c);
  }
  let lost = 0;
  let lostSample: string | null = null;
  for (const key of expected) {
    if (seen.has(key)) continue;
    lost++;
    lostSample ??= `event ${key % KEY} to ${subs[Math.floor(key / KEY) - firstSub].party.name}`;
  }
  const sorted = Float64Array.from(latencies).sort();
  if (sorted.length !== expected.size - lost) throw new Error(`${expected.size - lost - sorted.length} deliveries without a commit time`);
  const { leakSample, ...counts } = c;
  return { expected: expected.size, delivered: report.count, lost, ...counts, latencies: sorted, fromAt: Float64Array.from(fromAt).sort(), lostSample, leakSample };
}

/** The masked fields of one delivery (flags: 1 trackingNumber, 2 platformOrderId, 4 an error other than FORBIDDEN) against the model. */
function checkMasks(
  model: Model,
  s: Subscriber,
  e: RunEvent,
  flags: number,
  c: { leaked: number; withheld: number; otherErrors: number; leakSample: string | null },
): void {
  const viewer = s.party;
  const d = e.declaration;
  const tn = model.may(viewer, viewer.role, d.filerId, d, "TRANSPORT");
  const order = model.may(viewer, viewer.role, d.filerId, d, "COMMERCIAL") && d.hasOrderId;
  if ((flags & 1 && !tn) || (flags & 2 && !order)) {
    c.leaked++;
    c.leakSample ??= `event ${e.seq}: ${viewer.name} read a masked field`;
  }
  if ((!(flags & 1) && tn) || (!(flags & 2) && order)) c.withheld++;
  if (flags & 4) c.otherErrors++;
}
