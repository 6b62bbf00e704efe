import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import type { HubContext } from "../../context/context";
import { NotFoundError } from "../../shared/errors";
import { Party } from "../parties/parties.types";
import { Agreement, AgreementEvent, AgreementScope, AgreementState, effectiveStatus } from "./agreements.types";
import { AgreementFilter, ProposeAgreementInput } from "./agreements.inputs";
import type { AgreementEventRow, AgreementRow } from "./agreements.repository";
import { agreementLoaders } from "./agreements.loaders";

// Parties are never deleted (foreign keys), so a miss here means something is badly wrong.
async function partyOrFail(ctx: HubContext, id: string) {
  const party = await ctx.loaders.party.load(id);
  if (!party) throw new NotFoundError("Party", id);
  return party;
}

/** Thin: arguments in, service out; rules live in AgreementService. */
@Resolver(() => Agreement)
export class AgreementResolver {
  @Query(() => Agreement, { description: "An agreement the caller's party is grantor or grantee of (OPERATOR: any)" })
  agreement(@Arg("id", () => ID) id: string, @Ctx() ctx: HubContext): Promise<AgreementRow> {
    return ctx.hub.services.agreements.get(ctx, id);
  }

  @Query(() => [Agreement], { description: "Agreements of the caller's party, newest first (OPERATOR with role ANY: all)" })
  agreements(
    @Arg("filter", () => AgreementFilter, { nullable: true }) filter: AgreementFilter | null,
    @Ctx() ctx: HubContext,
  ): Promise<AgreementRow[]> {
    return ctx.hub.services.agreements.list(ctx, filter ?? {});
  }

  @Mutation(() => Agreement, {
    description:
      "Propose an agreement; the other party accepts it. Contributions: only those the grantor may exercise itself " +
      "(BAD_USER_INPUT naming the contribution otherwise); customs decisions (HOLDS, DUTIES) only from customs to customs.",
  })
  proposeAgreement(
    @Arg("input", () => ProposeAgreementInput) input: ProposeAgreementInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ): Promise<AgreementRow> {
    return ctx.hub.services.agreements.propose(ctx, input, idempotencyKey);
  }

  @Mutation(() => Agreement, {
    description:
      "Accept a PROPOSED agreement (only the party that did not propose it), or re-activate a SUSPENDED one " +
      "(only the party that suspended it)",
  })
  acceptAgreement(
    @Arg("id", () => ID) id: string,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion: number | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ): Promise<AgreementRow> {
    return ctx.hub.services.agreements.accept(ctx, id, expectedVersion, idempotencyKey);
  }

  @Mutation(() => Agreement, { description: "Pause an ACTIVE agreement (either party)" })
  suspendAgreement(
    @Arg("id", () => ID) id: string,
    @Arg("note", () => String, { nullable: true }) note: string | null,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion: number | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ): Promise<AgreementRow> {
    return ctx.hub.services.agreements.suspend(ctx, id, note, expectedVersion, idempotencyKey);
  }

  @Mutation(() => Agreement, { description: "End an agreement for good (either party); every access resting on it ends" })
  revokeAgreement(
    @Arg("id", () => ID) id: string,
    @Arg("note", () => String, { nullable: true }) note: string | null,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion: number | null,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ): Promise<AgreementRow> {
    return ctx.hub.services.agreements.revoke(ctx, id, note, expectedVersion, idempotencyKey);
  }

  @FieldResolver(() => Party)
  grantor(@Root() a: AgreementRow, @Ctx() ctx: HubContext) {
    return partyOrFail(ctx, a.grantorId);
  }

  @FieldResolver(() => Party)
  grantee(@Root() a: AgreementRow, @Ctx() ctx: HubContext) {
    return partyOrFail(ctx, a.granteeId);
  }

  @FieldResolver(() => AgreementScope)
  scope(@Root() a: AgreementRow): AgreementScope {
    return { destinationCountries: a.scopeDestinations, originCountries: a.scopeOrigins, onlyCarried: a.scopeOnlyCarried };
  }

  @FieldResolver(() => AgreementState)
  effectiveStatus(@Root() a: AgreementRow): AgreementState {
    return effectiveStatus(a, new Date());
  }

  @FieldResolver(() => [AgreementEvent])
  history(@Root() a: AgreementRow, @Ctx() ctx: HubContext): Promise<AgreementEventRow[]> {
    return agreementLoaders(ctx).history.load(a.id);
  }
}
