import type { PrismaClient } from "../generated/prisma/client";

/** Whether keys are still good: the one question the revocation watch asks the store. */
export class ApiKeyStatusRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Of these key ids, those revoked or gone, in one statement (by primary key). */
  async invalidAmong(ids: readonly string[]): Promise<string[]> {
    if (!ids.length) return [];
    const valid = await this.prisma.apiKey.findMany({ where: { id: { in: [...ids] }, revokedAt: null }, select: { id: true } });
    const ok = new Set(valid.map((k) => k.id));
    return ids.filter((id) => !ok.has(id));
  }
}
