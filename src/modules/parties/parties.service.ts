import type { PrismaClient, Party, ApiKey } from "../../generated/prisma/client";
import type { PartyKind, Role } from "../../generated/prisma/enums";
import type { Config } from "../../config";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import { newApiKeySecret } from "../../authn/api-keys";
import { BadUserInputError, ForbiddenError, NotFoundError, type InputProblem } from "../../shared/errors";
import { isCountry, isIossNumber, checkText } from "../../shared/validation";
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
    const problems: InputProblem[] = [];
    checkText(problems, "input.name", input.name, { max: 200 });
    const country = input.country?.trim().toUpperCase();
    if (!isCountry(country)) problems.push({ path: "input.country", message: "must be an ISO 3166-1 alpha-2 country code" });
    if (input.iossNumber != null && !isIossNumber(input.iossNumber))
      problems.push({ path: "input.iossNumber", message: "must be IM followed by 10 digits" });
    for (const k of ["eori", "vatNumber", "upuCode", "carrierCode"] as const) {
      if (input[k] != null) checkText(problems, `input.${k}`, input[k], { max: 40 });
    }
    if (input.kind === "OPERATOR") problems.push({ path: "input.kind", message: "the hub has one operator party" });
    if (problems.length) throw new BadUserInputError(problems);
    return this.prisma.party.create({ data: { ...input, name: input.name.trim(), country } });
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
    const problems: InputProblem[] = [];
    checkText(problems, "input.label", input.label, { max: 100 });
    if (problems.length) throw new BadUserInputError(problems);
    const { secret, prefix, hash } = newApiKeySecret();
    const key = await this.prisma.apiKey.create({
      data: { partyId: party.id, role: input.role, label: input.label.trim(), prefix, secretHash: hash },
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
