import type { ApiKey, Party, Prisma, PrismaClient } from "../../generated/prisma/client";
import type { PartyKind, Role } from "../../generated/prisma/enums";
import type { Tx } from "../writes";

export type { ApiKey, Party };

/** All of the parties module's SQL: the directory and API keys. */
export class PartyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  firstOperator(): Promise<Party | null> {
    return this.prisma.party.findFirst({ where: { kind: "OPERATOR" }, orderBy: { createdAt: "asc" } });
  }

  createParty(data: Prisma.PartyCreateInput, tx: Tx | PrismaClient = this.prisma): Promise<Party> {
    return tx.party.create({ data });
  }

  findParty(id: string): Promise<Party | null> {
    return this.prisma.party.findUnique({ where: { id } });
  }

  findParties(ids: string[]): Promise<Party[]> {
    return this.prisma.party.findMany({ where: { id: { in: ids } } });
  }

  list(filter: { kind?: PartyKind; country?: string }): Promise<Party[]> {
    return this.prisma.party.findMany({ where: filter, orderBy: [{ kind: "asc" }, { name: "asc" }], take: 1000 });
  }

  createKey(data: { partyId: string; role: Role; label: string; prefix: string; secretHash: string }, tx: Tx | PrismaClient = this.prisma): Promise<ApiKey> {
    return tx.apiKey.create({ data });
  }

  findKey(id: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { id } });
  }

  /** The key with its party, by the hash of its secret (authentication). */
  findKeyBySecretHash(secretHash: string) {
    return this.prisma.apiKey.findUnique({ where: { secretHash }, include: { party: true } });
  }

  keysOf(partyId: string | null): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ where: partyId ? { partyId } : {}, orderBy: [{ createdAt: "desc" }, { id: "asc" }], take: 1000 });
  }

  /** Sets revokedAt once; an already revoked key keeps its first revocation time. */
  revokeKey(tx: Tx, id: string, at: Date): Promise<ApiKey> {
    return tx.apiKey.update({ where: { id }, data: { revokedAt: at } });
  }

  /** Which of these keys are revoked (or gone): open sockets are closed for them. */
  async revokedAmong(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const live = await this.prisma.apiKey.findMany({ where: { id: { in: ids }, revokedAt: null }, select: { id: true } });
    const alive = new Set(live.map((k) => k.id));
    return new Set(ids.filter((id) => !alive.has(id)));
  }
}
