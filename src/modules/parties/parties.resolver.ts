import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { IDEMPOTENCY_KEY } from "../writes/writes.args";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { ApiKey, CreatedApiKey, Me, Party } from "./parties.types";
import { CreateApiKeyInput, CreatePartyInput, PartiesFilter } from "./parties.inputs";

@Resolver()
export class PartyResolver {
  @Query(() => Me, { description: "The caller: party, role and key in use" })
  async me(@Ctx() ctx: HubContext): Promise<Me> {
    const p = requirePrincipal(ctx);
    return { party: await ctx.hub.services.parties.get(ctx, p.partyId), role: p.role, apiKeyId: p.apiKeyId };
  }

  @Query(() => Party, { description: "One party of the directory" })
  party(@Arg("id", () => ID) id: string, @Ctx() ctx: HubContext) {
    return ctx.hub.services.parties.get(ctx, id);
  }

  @Query(() => [Party], { description: "The directory of parties (at most 1,000)" })
  parties(@Arg("filter", () => PartiesFilter, { nullable: true }) filter: PartiesFilter | undefined, @Ctx() ctx: HubContext) {
    return ctx.hub.services.parties.list(ctx, filter);
  }

  @Mutation(() => Party, { description: "Operator: add an organisation" })
  createParty(
    @Arg("input", () => CreatePartyInput) input: CreatePartyInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.parties.create(ctx, input, idempotencyKey);
  }

  @Mutation(() => CreatedApiKey, { description: "Operator: issue a key; its secret is returned this once" })
  createApiKey(
    @Arg("input", () => CreateApiKeyInput) input: CreateApiKeyInput,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.parties.createApiKey(ctx, input, idempotencyKey);
  }

  @Mutation(() => ApiKey, { description: "Revoke a key (operator: any; a party: its own)" })
  revokeApiKey(
    @Arg("id", () => ID) id: string,
    @Arg("idempotencyKey", () => String, IDEMPOTENCY_KEY) idempotencyKey: string | null,
    @Ctx() ctx: HubContext,
  ) {
    return ctx.hub.services.parties.revokeApiKey(ctx, id, idempotencyKey);
  }

  @Query(() => [ApiKey], { description: "API keys of a party (default: your own; the operator: any party's), newest first; no secrets" })
  apiKeys(@Arg("partyId", () => ID, { nullable: true }) partyId: string | null, @Ctx() ctx: HubContext) {
    return ctx.hub.services.parties.listApiKeys(ctx, partyId);
  }
}
