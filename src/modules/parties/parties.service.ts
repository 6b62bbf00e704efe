import type { Role } from "../../generated/prisma/enums";
import type { Config } from "../../config";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { newApiKeySecret } from "../../authn/api-keys";
import { rolesForKind } from "../../authz/authority";
import { BadUserInputError, NotFoundError } from "../../shared/errors";
import { countryCode, isUuid, optionalString, Problems, requiredString } from "../../shared/validation";
import { iossNumber } from "../../shared/ioss";
import { changesOf, openSecret, sealSecret, type Kept, type WriteService } from "../writes";
import type { PrismaClient } from "../../generated/prisma/client";
import type { CreateApiKeyInput, CreatePartyInput, PartiesFilter } from "./parties.inputs";
import { PartyRepository, type ApiKey, type Party } from "./parties.repository";

const OPERATOR_PARTY_NAME = "Luxor Hub operator";

const firstId = (kept: Kept) => (kept as { ids: string[] }).ids[0];

/** The directory of parties and their API keys. Who may do what: src/authz/authority.ts. */
export class PartyService {
  private operatorId: string | undefined;
  readonly repo: PartyRepository;

  constructor(
    prisma: PrismaClient,
    private readonly config: Config,
    private readonly writes: WriteService,
  ) {
    this.repo = new PartyRepository(prisma);
  }

  /** The hub's own party, owner of operator keys and of HUB_ADMIN_TOKEN. */
  async ensureOperatorParty(): Promise<string> {
    const party = (await this.repo.firstOperator()) ?? (await this.repo.createParty({ name: OPERATOR_PARTY_NAME, kind: "OPERATOR", country: "ZZ" }));
    this.operatorId = party.id;
    return party.id;
  }

  operatorPartyId(): string {
    if (!this.operatorId) throw new Error("operator party not initialised");
    return this.operatorId;
  }

  /** The directory is public to every authenticated party; a malformed id is NOT_FOUND. */
  async get(ctx: HubContext, id: string): Promise<Party> {
    requirePrincipal(ctx);
    const party = isUuid(id) ? await ctx.loaders.party.load(id) : null;
    if (!party) throw new NotFoundError("Party", id);
    return party;
  }

  list(ctx: HubContext, filter: PartiesFilter = {}): Promise<Party[]> {
    requirePrincipal(ctx);
    return this.repo.list({ kind: filter.kind, country: filter.country?.toUpperCase() });
  }

  async create(ctx: HubContext, input: CreatePartyInput, idempotencyKey?: string | null): Promise<Party> {
    await ctx.authz.assert("party:create");
    const p = new Problems();
    const data = {
      name: requiredString(p, "input.name", input.name, 200)!,
      kind: input.kind,
      country: countryCode(p, "input.country", input.country)!,
      iossNumber: iossNumber(p, "input.iossNumber", input.iossNumber),
      eori: optionalString(p, "input.eori", input.eori, 40),
      vatNumber: optionalString(p, "input.vatNumber", input.vatNumber, 40),
      upuCode: optionalString(p, "input.upuCode", input.upuCode, 40),
      carrierCode: optionalString(p, "input.carrierCode", input.carrierCode, 40),
    };
    if (input.kind === "OPERATOR") p.add("input.kind", "the hub has one operator party");
    p.throwIfAny();
    return this.writes.run(
      ctx,
      {
        operation: "createParty",
        idempotencyKey,
        request: input,
        keep: (party) => ({ ids: [party.id] }),
        replay: (kept) => this.get(ctx, firstId(kept)),
      },
      (journal) =>
        journal.transaction(async (tx) => {
          const party = await this.repo.createParty(data, tx);
          journal.record({ recordType: "Party", recordId: party.id, holderId: party.id, changes: changesOf(null, party) });
          return party;
        }),
    );
  }

  async createApiKey(ctx: HubContext, input: CreateApiKeyInput, idempotencyKey?: string | null): Promise<{ key: ApiKey; secret: string }> {
    const principal = requirePrincipal(ctx);
    const party = isUuid(input.partyId) ? await ctx.loaders.party.load(input.partyId) : null;
    await ctx.authz.assert("apiKey:create", { keyOwnerId: party?.id });
    if (!party) throw BadUserInputError.at("input.partyId", "no party has this id");
    const roles = rolesForKind(party.kind);
    if (!roles.includes(input.role)) {
      throw BadUserInputError.at("input.role", `a ${party.kind} party may hold keys with role ${roles.join(" or ")}`);
    }
    const p = new Problems();
    const label = requiredString(p, "input.label", input.label, 100)!;
    p.throwIfAny();
    return this.writes.run(
      ctx,
      {
        operation: "createApiKey",
        idempotencyKey,
        request: input,
        // The secret is kept for a replay only sealed with the idempotency key (see sealSecret).
        keep: ({ key, secret }) => ({ ids: [key.id], sealed: sealSecret(secret, principal.partyId, idempotencyKey!) }),
        replay: async (kept) => {
          const key = await this.repo.findKey(firstId(kept));
          if (!key) throw new NotFoundError("API key", firstId(kept));
          return { key, secret: openSecret((kept as { sealed: string }).sealed, principal.partyId, idempotencyKey!) };
        },
      },
      (journal) =>
        journal.transaction(async (tx) => {
          const { secret, prefix, hash } = newApiKeySecret();
          const key = await this.repo.createKey({ partyId: party.id, role: input.role, label, prefix, secretHash: hash }, tx);
          journal.record({ recordType: "ApiKey", recordId: key.id, holderId: party.id, changes: changesOf(null, key, ["partyId", "role", "label", "prefix"]) });
          return { key, secret };
        }),
    );
  }

  /** Keys of a party (the operator: any party's, or all); secrets are never shown again. */
  async listApiKeys(ctx: HubContext, partyId?: string | null): Promise<ApiKey[]> {
    const me = requirePrincipal(ctx);
    const owner = partyId ?? me.partyId;
    if (!isUuid(owner)) throw new NotFoundError("Party", owner);
    await ctx.authz.assert("apiKey:list", { keyOwnerId: owner });
    return this.repo.keysOf(owner);
  }

  /** The operator revokes any key; a party its own. Someone else's key is NOT_FOUND. */
  async revokeApiKey(ctx: HubContext, id: string, idempotencyKey?: string | null): Promise<ApiKey> {
    requirePrincipal(ctx);
    const key = isUuid(id) ? await this.repo.findKey(id) : null;
    if (!key || !(await ctx.authz.can("apiKey:revoke", { keyOwnerId: key.partyId }))) throw new NotFoundError("API key", id);
    const revoked = key.revokedAt
      ? key
      : await this.writes.run(
          ctx,
          {
            operation: "revokeApiKey",
            idempotencyKey,
            request: { id },
            keep: (k) => ({ ids: [k.id] }),
            replay: async () => (await this.repo.findKey(id))!,
          },
          (journal) =>
            journal.transaction(async (tx) => {
              const row = await this.repo.revokeKey(tx, id, new Date());
              journal.record({ recordType: "ApiKey", recordId: id, holderId: key.partyId, changes: changesOf(key, row, ["revokedAt"]) });
              return row;
            }),
        );
    ctx.hub.authenticator.forget(id);
    return revoked;
  }

  /** Test and seed helper: a key without a request context. */
  async issueKey(partyId: string, role: Role, label: string): Promise<string> {
    const { secret, prefix, hash } = newApiKeySecret();
    await this.repo.createKey({ partyId, role, label, prefix, secretHash: hash });
    return secret;
  }

  get adminConfigured(): boolean {
    return Boolean(this.config.HUB_ADMIN_TOKEN);
  }
}

export { OPERATOR_PARTY_NAME };
