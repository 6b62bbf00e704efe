import { BadUserInputError, ConflictError, type HubError, type InputProblem } from "../../shared/errors";
import type { Subject } from "../risk/risk.engine";
import type { BulkFilingResult, FilingError, FilingOutcome } from "./declarations.inputs";
import type { DeclarationRow, NewDeclaration } from "./declarations.repository";

/*
 * What becomes of each input of a filing call: its candidate state while the call runs,
 * and the outcome (declaration, replay or error with paths) it is answered with.
 */

export interface Candidate {
  index: number;
  base: string;
  normalized?: NewDeclaration;
  problems: InputProblem[];
  error?: HubError;
  row?: DeclarationRow;
  created?: boolean;
  /** an earlier input of the same call with the same localReference and payload */
  sameAs?: Candidate;
}

export function subjectOf(n: NewDeclaration): Subject {
  return { ...n.declaration, goodsItems: n.goodsItems };
}

export function liveConflict(trackingNumber: string): ConflictError {
  return new ConflictError(
    `Tracking number ${trackingNumber} is live on another declaration for the same carrier or post: ` +
      "one parcel has one live declaration per carrier until it is delivered, returned or seized",
    { trackingNumber },
  );
}

export function settleWithExisting(c: Candidate, row: DeclarationRow): void {
  if (row.payloadHash === c.normalized!.declaration.payloadHash) {
    Object.assign(c, { row, created: false });
    return;
  }
  c.error = new ConflictError(
    `A declaration with localReference "${row.localReference}" was already filed with different content; ` +
      "use amendDeclaration to change it",
    { localReference: row.localReference, declarationId: row.id },
  );
}

export function toFilingError(err: HubError): FilingError {
  const problems = err instanceof BadUserInputError ? err.problems : [];
  return {
    code: String(err.extensions.code),
    message: err.message,
    path: problems[0]?.path ?? null,
    problems,
  };
}

/** Counts for the bulk mutation's result. */
export function toBulkResult(results: FilingOutcome[]): BulkFilingResult {
  let createdCount = 0;
  let replayedCount = 0;
  let failedCount = 0;
  for (const o of results) {
    if (o.error) failedCount++;
    else if (o.created) createdCount++;
    else replayedCount++;
  }
  return { results, createdCount, replayedCount, failedCount };
}

