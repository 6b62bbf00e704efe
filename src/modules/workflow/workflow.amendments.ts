import { Decimal } from "@prisma/client/runtime/client";
import { requirePrincipal, type HubContext } from "../../context/context";
import { ConflictError } from "../../shared/errors";
import {
  EU_MEMBER_STATES,
  INCOTERMS,
  MONEY,
  Problems,
  WEIGHT_KG,
  at,
  checkDeclarationGoods,
  currencyCode,
  oneOf,
  optionalCountryCode,
  optionalEmail,
  optionalString,
  positiveDecimal,
  type ValueTolerance,
} from "../../shared/validation";
import { iossNumber } from "../../shared/ioss";
import { trackingNumber } from "../../shared/s10";
import { changesOf, type WriteJournal } from "../writes";
import { FINAL_STATUSES } from "./workflow.lifecycle";
import type { WorkflowRisk } from "./workflow.risk";
import type { AmendDeclarationInput } from "./workflow.inputs";
import type { DeclarationRow, LockedDeclaration } from "./workflow.repository";
import type { WorkflowSupport } from "./workflow.support";

const LIMITS = { platformOrderId: 64, name: 200, address: 500 };

/** Values that decide duties and taxes: frozen once customs released the goods. */
const VALUE_FIELDS = ["totalValue", "currency", "grossWeightKg", "iossNumber", "incoterm", "ddp"] as const;

/**
 * The filer (or a party it delegated AMEND to) changes the declaration's own data.
 * Compare-and-set on `version` (stale -> CONFLICT with currentVersion), which goes up by
 * one; each amendment is re-validated as at filing and kept in the write audit trail as a
 * version (who, when, which fields, before and after). After release, values are frozen
 * (CONFLICT). The filing's payloadHash is kept: it identifies the original filing, so
 * replaying that filing still answers with this declaration.
 */
export class Amendments {
  constructor(
    private readonly support: WorkflowSupport,
    private readonly risk: WorkflowRisk,
  ) {}

  async amend(ctx: HubContext, id: string, expectedVersion: number, input: AmendDeclarationInput, idempotencyKey?: string | null): Promise<DeclarationRow> {
    requirePrincipal(ctx);
    const updated = await this.support.writes.run<DeclarationRow>(
      ctx,
      {
        operation: "amendDeclaration",
        idempotencyKey,
        request: { id, expectedVersion, input },
        keep: (row) => ({ ids: [row.id] }),
        replay: () => this.support.visible(ctx, id),
      },
      async (journal) => {
        const declaration = await this.support.visible(ctx, id);
        await ctx.authz.assert("declaration:amend", { declaration });
        const p = new Problems();
        if (!Number.isInteger(expectedVersion) || expectedVersion < 1) p.add("expectedVersion", "must be a version, from 1");
        const change = normalizeAmendment(p, input);
        p.throwIfAny();
        // a registered declaration is assessed again after the change; the value tolerance is
        // the destination's in force now (both loaded before the transaction)
        const now = new Date();
        const risk = declaration.movementReference ? await this.risk.prepare(declaration.destinationCountry, now) : null;
        const tolerance = (await ctx.hub.services.rules.book(declaration.destinationCountry)).valueTolerance(now);
        return this.support.locked(journal, declaration.id, async (d, changes) => {
          const cur = d.current;
          if (cur.version !== expectedVersion) throw stale(cur, expectedVersion);
          await ctx.authz.assert("declaration:amend", { declaration: cur });
          checkAgainstCurrent(p, cur, change, input);
          if (change.grossWeightKg) {
            const net = await d.goodsNetWeightKg();
            if (new Decimal(net).gt(change.grossWeightKg)) {
              p.add("input.grossWeightKg", `must not be below the sum of the goods items' net weights (${net} kg)`);
            }
          }
          if (p.ok) await checkGoodsAfter(p, d, change, tolerance);
          p.throwIfAny();
          if (change.trackingNumber && change.trackingNumber !== cur.trackingNumber && !(await d.rebindTrackingNumber(change.trackingNumber))) {
            throw new ConflictError(`Tracking number ${change.trackingNumber} is live on another declaration for the same carrier or post`, {
              field: "trackingNumber",
            });
          }
          const at = new Date();
          const row = await d.amend(expectedVersion, { ...change, updatedAt: at });
          if (!row) throw stale(cur, expectedVersion);
          journal.record(
            {
              recordType: "Declaration",
              recordId: row.id,
              declarationId: row.id,
              holderId: row.filerId,
              changes: { ...changesOf(cur, row, Object.keys(change)), version: { before: cur.version, after: row.version } },
            },
            at,
          );
          if (risk && !FINAL_STATUSES.has(row.status)) await this.risk.apply(d, risk, journal as WriteJournal<unknown>, changes, at, "amend");
          return d.current;
        });
      },
    );
    (await ctx.authz.policy()).rememberScope(updated);
    return updated;
  }
}

/**
 * A change of total, currency or IOSS number is checked against the goods items as at
 * filing (shared/validation.ts checkDeclarationGoods): total = sum of items within the
 * destination's tolerance, one currency, no excise goods under IOSS; problems name the
 * amended field.
 */
async function checkGoodsAfter(p: Problems, d: LockedDeclaration, change: Amendment, tolerance: ValueTolerance | null): Promise<void> {
  if (change.totalValue === undefined && change.currency === undefined && change.iossNumber === undefined) return;
  const items = (await d.goodsItems()).map((g) => ({ value: g.value.toFixed(), currency: g.currency, hsCode: g.hsCode }));
  // only what the change can break is checked: a total filed under an older tolerance stays valid
  checkDeclarationGoods(
    p,
    "input",
    { totalValue: change.totalValue, currency: change.currency, iossNumber: change.iossNumber },
    items,
    tolerance,
    { currency: "input.currency", totalValue: "input.totalValue", iossNumber: "input.iossNumber" },
  );
}

/** Rules that depend on the declaration as it is now. */
function checkAgainstCurrent(p: Problems, cur: DeclarationRow, change: Amendment, input: AmendDeclarationInput): void {
  const released = cur.releasedAt !== null || cur.status === "RELEASED" || cur.status === "DELIVERED" || cur.status === "SEIZED";
  const frozen = VALUE_FIELDS.filter((f) => change[f] !== undefined && String(change[f]) !== String(cur[f] ?? null));
  if (released && frozen.length) {
    throw new ConflictError(`Declaration ${cur.id} was released (status ${cur.status}): ${frozen.join(", ")} can no longer change`, {
      field: frozen[0],
      status: cur.status,
    });
  }
  if (change.iossNumber && change.iossNumber !== cur.iossNumber) {
    if (cur.category !== "SALE_OF_GOODS") p.add("input.iossNumber", "applies only to category SALE_OF_GOODS");
    if (!EU_MEMBER_STATES.has(cur.destinationCountry)) p.add("input.iossNumber", "applies only to a destination in an EU member state");
  }
  // Incoterm and DDP flag tell the same story; ddp follows a new incoterm unless given.
  const incoterm = change.incoterm !== undefined ? change.incoterm : cur.incoterm;
  if (change.ddp === undefined && change.incoterm) change.ddp = change.incoterm === "DDP";
  const ddp = change.ddp ?? cur.ddp;
  if (incoterm && ddp !== (incoterm === "DDP")) {
    p.add(input.ddp != null ? "input.ddp" : "input.incoterm", `ddp ${ddp} contradicts incoterm ${incoterm}`);
  }
}

function stale(cur: DeclarationRow, expectedVersion: number): ConflictError {
  return new ConflictError(`Declaration ${cur.id} is at version ${cur.version}, not ${expectedVersion}; reload and retry`, {
    currentVersion: cur.version,
  });
}

type Amendment = {
  trackingNumber?: string;
  grossWeightKg?: string;
  totalValue?: string;
  currency?: string;
  incoterm?: string | null;
  ddp?: boolean;
  iossNumber?: string | null;
  platformOrderId?: string | null;
  sellerName?: string | null;
  sellerAddress?: string | null;
  sellerCountry?: string | null;
  buyerName?: string | null;
  buyerAddress?: string | null;
  buyerCountry?: string | null;
  buyerEmail?: string | null;
};

/**
 * Checks the fields given (undefined: unchanged; null: cleared, where the field is optional)
 * with the same validators as filing, and returns them normalized.
 */
function normalizeAmendment(p: Problems, input: AmendDeclarationInput | null | undefined): Amendment {
  if (!input || typeof input !== "object") {
    p.add("input", "must be an amendment");
    return {};
  }
  const out: Amendment = {};
  const given = (k: keyof AmendDeclarationInput) => input[k] !== undefined;
  const path = (k: string) => at("input", k);
  const required = <K extends "trackingNumber" | "grossWeightKg" | "totalValue" | "currency">(
    k: K,
    check: (v: unknown) => string | undefined,
  ) => {
    if (!given(k)) return;
    if (input[k] === null) return p.add(path(k), "cannot be cleared");
    const v = check(input[k]);
    if (v !== undefined) out[k] = v;
  };
  const optional = <K extends keyof Amendment>(k: K, check: (v: unknown) => Amendment[K] | undefined) => {
    if (!given(k as keyof AmendDeclarationInput)) return;
    const v = check(input[k as keyof AmendDeclarationInput]);
    if (v !== undefined) out[k] = v;
  };

  required("trackingNumber", (v) => trackingNumber(p, path("trackingNumber"), v));
  required("grossWeightKg", (v) => positiveDecimal(p, path("grossWeightKg"), v, WEIGHT_KG));
  required("totalValue", (v) => positiveDecimal(p, path("totalValue"), v, MONEY));
  required("currency", (v) => currencyCode(p, path("currency"), v));
  optional("incoterm", (v) => {
    const s = typeof v === "string" ? v.trim().toUpperCase() : v;
    return s == null || s === "" ? null : oneOf(p, path("incoterm"), s, INCOTERMS);
  });
  if (given("ddp")) {
    if (typeof input.ddp !== "boolean") p.add(path("ddp"), input.ddp === null ? "cannot be cleared" : "must be true or false");
    else out.ddp = input.ddp;
  }
  optional("iossNumber", (v) => iossNumber(p, path("iossNumber"), v));
  optional("platformOrderId", (v) => optionalString(p, path("platformOrderId"), v, LIMITS.platformOrderId));
  optional("sellerName", (v) => optionalString(p, path("sellerName"), v, LIMITS.name));
  optional("sellerAddress", (v) => optionalString(p, path("sellerAddress"), v, LIMITS.address));
  optional("sellerCountry", (v) => optionalCountryCode(p, path("sellerCountry"), v));
  optional("buyerName", (v) => optionalString(p, path("buyerName"), v, LIMITS.name));
  optional("buyerAddress", (v) => optionalString(p, path("buyerAddress"), v, LIMITS.address));
  optional("buyerCountry", (v) => optionalCountryCode(p, path("buyerCountry"), v));
  optional("buyerEmail", (v) => optionalEmail(p, path("buyerEmail"), v));

  if (p.ok && Object.keys(out).length === 0) p.add("input", "name at least one field to change");
  return out;
}
