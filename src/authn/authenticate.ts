import type { PrismaClient } from "../generated/prisma/client";
import type { Principal } from "../authz/principal";
import { UnauthenticatedError } from "../shared/errors";
import { hashSecret, sameSecret } from "./api-keys";

const CACHE_TTL_MS = 5_000;

/**
 * Turns an Authorization header value into a principal. No header: anonymous (null), so
 * public endpoints work; a header with a wrong or revoked key: UNAUTHENTICATED.
 * Lookups are cached for a few seconds so hot read paths do not pay a query per request;
 * a revocation is immediate on this instance and within CACHE_TTL_MS on others.
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly adminToken: string | undefined,
    private readonly operatorPartyId: () => string,
  ) {}

  async authenticate(header: string | undefined | null): Promise<Principal | null> {
    if (header == null || header === "") return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new UnauthenticatedError("Authorization must be `Bearer <api key>`");
    const secret = match[1];
    if (this.adminToken && sameSecret(secret, this.adminToken)) {
      return { partyId: this.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
    }
    const hash = hashSecret(secret);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.principal;
    const key = await this.prisma.apiKey.findUnique({ where: { secretHash: hash }, include: { party: true } });
    if (!key || key.revokedAt) {
      this.cache.delete(hash);
      throw new UnauthenticatedError("The API key is unknown or revoked");
    }
    const principal: Principal = {
      partyId: key.partyId,
      partyKind: key.party.kind,
      country: key.party.country,
      role: key.role,
      apiKeyId: key.id,
    };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  forget(apiKeyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.apiKeyId === apiKeyId) this.cache.delete(hash);
  }
}
