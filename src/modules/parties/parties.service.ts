import type { PrismaClient, Party, ApiKey } from "../../generated/prisma/client";
import type { PartyKind, Role } from "../../generated/prisma/enums";
import type { Config } from "../../config";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { newApiKeySecret } from "../../authn/api-keys";
import { BadUserInputError, ForbiddenError, NotFoundError } from "../../shared/errors";
import { countryCode, iossNumber, optionalString, Problems, requiredString } from "../../shared/validation";
import type { CreateApiKeyInput, CreatePartyInput, PartiesFilter } from "./parties.inputs";

/** Which roles a key may carry for each kind of party. */
const ROLES_FOR_KIND: Record<PartyKind, Role[]> = {
  OPERATOR: ["OPERATOR"],
  CUSTOMS: ["OFFICER", "ANALYST"],
  POST: ["AGENT"],
  CARRIER: ["AGENT"],
  PLATFORM: ["AGENT"],
  BROKER: ["AGENT"],
};

const OPERATOR_PARTY_NAME = "Luxor Hub operator";

export class PartyService {
  private operatorId: string | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: Config,
  ) {}

  /** The hub's own party, owner of operator keys and of HUB_ADMIN_TOKEN. */
  async ensureOperatorParty(): Promise<string> {
    const existing = await this.prisma.party.findFirst({ where: { kind: "OPERATOR" }, orderBy: { createdAt: "asc" } });
    const party =
      existing ?? (await this.prisma.party.create({ data: { name: OPERATOR_PARTY_NAME, kind: "OPERATOR", country: "ZZ" } }));
    this.operatorId = party.id;
    return party.id;
  }

  operatorPartyId(): string {
    if (!this.operatorId) throw new Error("operator party not initialised");
    return this.operatorId;
  }

  private requireOperator(ctx: HubContext) {
    const p = requirePrincipal(ctx);
    if (p.role !== "OPERATOR") throw new ForbiddenError("Only the hub operator may do this");
    return p;
  }

  async get(ctx: HubContext, id: string): Promise<Party> {
    requirePrincipal(ctx);
    const party = await ctx.loaders.party.load(id);
    if (!party) throw new NotFoundError("Party", id);
    return party;
  }

  list(ctx: HubContext, filter: PartiesFilter = {}): Promise<Party[]> {
    requirePrincipal(ctx);
    return this.prisma.party.findMany({
      where: { kind: filter.kind, country: filter.country?.toUpperCase() },
      orderBy: [{ kind: "asc" }, { name: "asc" }],
      take: 1000,
    });
  }

  async create(ctx: HubContext, input: CreatePartyInput): Promise<Party> {
    this.requireOperator(ctx);
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
    return this.prisma.party.create({ data });
  }

  async createApiKey(ctx: HubContext, input: CreateApiKeyInput): Promise<{ key: ApiKey; secret: string }> {
    this.requireOperator(ctx);
    const party = await ctx.loaders.party.load(input.partyId);
    if (!party) throw BadUserInputError.at("input.partyId", "no party has this id");
    if (!ROLES_FOR_KIND[party.kind].includes(input.role)) {
      throw BadUserInputError.at(
        "input.role",
        `a ${party.kind} party may hold keys with role ${ROLES_FOR_KIND[party.kind].join(" or ")}`,
      );
    }
    const p = new Problems();
    const label = requiredString(p, "input.label", input.label, 100)!;
    p.throwIfAny();
    const { secret, prefix, hash } = newApiKeySecret();
    const key = await this.prisma.apiKey.create({
      data: { partyId: party.id, role: input.role, label, prefix, secretHash: hash },
    });
    return { key, secret };
  }

  /** The operator revokes any key; a party may revoke its own keys. */
  async revokeApiKey(ctx: HubContext, id: string): Promise<ApiKey> {
    const p = requirePrincipal(ctx);
    const key = await this.prisma.apiKey.findUnique({ where: { id } });
    if (!key || (p.role !== "OPERATOR" && key.partyId !== p.partyId)) throw new NotFoundError("API key", id);
    const revoked = key.revokedAt
      ? key
      : await this.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    ctx.hub.authenticator.forget(id);
    return revoked;
  }

  /** Test and seed helper: a key without a request context. */
  async issueKey(partyId: string, role: Role, label: string): Promise<string> {
    const { secret, prefix, hash } = newApiKeySecret();
    await this.prisma.apiKey.create({ data: { partyId, role, label, prefix, secretHash: hash } });
    return secret;
  }

  get adminConfigured(): boolean {
    return Boolean(this.config.HUB_ADMIN_TOKEN);
  }
}

export { OPERATOR_PARTY_NAME };
