// The webhooks section's receipts checked against the model (events-model.ts) and the
// endpoints' filters, and the hub's own delivery log against both (scripts/bench/webhooks.ts).
import type { Model, RunEvent } from "./events-model";
import { sorted } from "./util";
import type { ReceiverReport } from "./webhook-receivers";
import type { Endpoint, EndpointType } from "./webhooks-world";
import type { LogRow } from "./webhooks-log";

const KEY = 1e9; // seq < 1e9: an (endpoint, event) pair is endpoint * KEY + seq

const endpointType = (e: RunEvent): EndpointType => (e.type === "HOLD_PLACED" ? "HOLD_PLACED" : "DECLARATION_STATUS_CHANGED");

/**
 * Does this endpoint hear this event? Its types, what its party may read, and its destination
 * filter, which applies only where its party may read the destination (TRANSPORT): elsewhere it hears nothing.
 */
function hears(model: Model, ep: Endpoint, e: RunEvent): boolean {
  if (!ep.eventTypes.includes(endpointType(e))) return false;
  if (!model.may(ep.party, ep.role, e.holder, e.declaration, "STATUS")) return false;
  if (ep.destinations.length) {
    return model.may(ep.party, ep.role, e.declaration.filerId, e.declaration, "TRANSPORT") && ep.destinations.includes(e.declaration.destinationCountry);
  }
  return true;
}

export interface ReceiptCheck {
  bySeq: Map<number, RunEvent>;
  /** the (endpoint, event) pairs the model expects */
  expected: Set<number>;
  /** pair -> its first receipt, epoch ms */
  first: Map<number, number>;
  duplicates: number;
  notEntitled: number;
  outside: number;
  leaked: number;
  withheld: number;
  otherErrors: number;
  mismatched: number;
  leakSample: string | null;
  /** warm-up events' deliveries received during the run (not counted) */
  warmupLate: number;
}

/** Every receipt of the run (after `seq0`; those before `receivedBefore` came before the run) against the model. */
export function checkReceipts(model: Model, endpoints: Endpoint[], events: RunEvent[], report: ReceiverReport, seq0: number, receivedBefore: number): ReceiptCheck {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  const expected = new Set<number>();
  for (const e of events) for (const ep of endpoints) if (hears(model, ep, e)) expected.add(ep.index * KEY + e.seq);
  const c: ReceiptCheck = { bySeq, expected, first: new Map(), duplicates: 0, notEntitled: 0, outside: 0, leaked: 0, withheld: 0, otherErrors: 0, mismatched: 0, leakSample: null, warmupLate: 0 };
  for (let k = 0; k < report.count; k++) {
    const i = report.endpoint[k];
    const seq = report.seq[k];
    if (seq <= seq0) {
      if (k >= receivedBefore) c.warmupLate++; // a warm-up event's, received during the run
      continue;
    }
    const pair = i * KEY + seq;
    if (c.first.has(pair)) {
      c.duplicates++;
      continue;
    }
    c.first.set(pair, report.receipt[k]);
    const e = bySeq.get(seq);
    if (!e) {
      c.outside++;
      continue;
    }
    const ep = endpoints[i];
    if (!expected.has(pair)) {
      c.notEntitled++;
      c.leakSample ??= `event ${seq} (${endpointType(e)}) reached ${ep.party.name} (${ep.role})`;
      continue;
    }
    checkMasks(model, ep, e, report.flags[k], c);
  }
  return c;
}

/** A delivery's flags (1 trackingNumber, 2 platformOrderId, 4 an error other than FORBIDDEN, 8 body and headers disagree) against the model. */
function checkMasks(model: Model, ep: Endpoint, e: RunEvent, f: number, c: ReceiptCheck): void {
  const d = e.declaration;
  const tn = model.may(ep.party, ep.role, d.filerId, d, "TRANSPORT");
  const order = model.may(ep.party, ep.role, d.filerId, d, "COMMERCIAL") && d.hasOrderId;
  if ((f & 1 && !tn) || (f & 2 && !order)) {
    c.leaked++;
    c.leakSample ??= `event ${e.seq}: ${ep.party.name} read a field the model masks`;
  }
  if ((!(f & 1) && tn) || (!(f & 2) && order)) c.withheld++;
  if (f & 4) c.otherErrors++;
  if (f & 8) c.mismatched++;
}

export interface Latencies {
  lost: number;
  lostSample: string | null;
  /** commit -> receipt, sorted: healthy receivers; of them, events committed while the group was down */
  H: Float64Array;
  HD: Float64Array;
  /** the down group: before it went down; missed while down (return -> receipt); events after its return */
  GB: Float64Array;
  GM: Float64Array;
  GA: Float64Array;
  groupExpected: number;
}

/** Each expected delivery: lost, or its latency in the group it belongs to. */
export function latencies(c: ReceiptCheck, endpoints: Endpoint[], downAt: number, upAt: number): Latencies {
  let lost = 0;
  let lostSample: string | null = null;
  const healthy: number[] = [];
  const healthyDuring: number[] = [];
  const groupBefore: number[] = [];
  const groupMissed: number[] = []; // receipt - return
  const groupAfter: number[] = [];
  let groupExpected = 0;
  for (const pair of c.expected) {
    const e = c.bySeq.get(pair % KEY)!;
    const ep = endpoints[Math.floor(pair / KEY)];
    const t = c.first.get(pair);
    if (ep.down) groupExpected++;
    if (t === undefined) {
      lost++;
      lostSample ??= `event ${e.seq} (${endpointType(e)}) to ${ep.party.name}${ep.down ? " (down group)" : ""}`;
      continue;
    }
    const latency = t - e.at;
    if (!ep.down) {
      healthy.push(latency);
      if (e.at >= downAt && e.at < upAt) healthyDuring.push(latency);
    } else if (e.at >= upAt) groupAfter.push(latency);
    else if (t >= upAt) groupMissed.push(t - upAt);
    else groupBefore.push(latency);
  }
  return { lost, lostSample, H: sorted(healthy), HD: sorted(healthyDuring), GB: sorted(groupBefore), GM: sorted(groupMissed), GA: sorted(groupAfter), groupExpected };
}

export interface LogCheck {
  /** commit -> delivery row (fan-out); delivery row -> delivered, healthy receivers' first attempts; sorted */
  FL: Float64Array;
  SL: Float64Array;
  refusedHealthy: number;
  refusedGroup: number;
  logNotModel: number;
  modelNotLog: number;
}

/** The hub's own log: where the time goes, retries, and the same (endpoint, event) pairs as the model? */
export function checkLog(log: LogRow[], endpoints: Endpoint[], expected: Set<number>): LogCheck {
  const epIndex = new Map(endpoints.map((e) => [e.id!, e.index]));
  const fanLag: number[] = [];
  const sendLag: number[] = [];
  let refusedHealthy = 0;
  let refusedGroup = 0;
  let logNotModel = 0;
  const logPairs = new Set<number>();
  for (const r of log) {
    const i = epIndex.get(r.endpointId);
    if (i === undefined) continue;
    const pair = i * KEY + r.seq;
    logPairs.add(pair);
    if (!expected.has(pair)) logNotModel++;
    fanLag.push(r.created - r.at);
    const failures = r.attempts - (r.status === "DELIVERED" ? 1 : 0);
    if (endpoints[i].down) refusedGroup += failures;
    else refusedHealthy += failures;
    if (r.delivered !== null && r.attempts === 1 && !endpoints[i].down) sendLag.push(r.delivered - r.created);
  }
  let modelNotLog = 0;
  for (const pair of expected) if (!logPairs.has(pair)) modelNotLog++;
  return { FL: sorted(fanLag), SL: sorted(sendLag), refusedHealthy, refusedGroup, logNotModel, modelNotLog };
}
