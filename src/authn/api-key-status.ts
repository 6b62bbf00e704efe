import type { PrismaClient } from "../generated/prisma/client";

/** The key lookups of authentication: by secret hash, revocations, when last used. */
export class ApiKeyStatusRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Of these key ids, those revoked or gone, in one statement (by primary key). */
  async invalidAmong(ids: readonly string[]): Promise<string[]> {
    if (!ids.length) return [];
    const valid = await this.prisma.apiKey.findMany({ where: { id: { in: [...ids] }, revokedAt: null }, select: { id: true } });
    const ok = new Set(valid.map((k) => k.id));
    return ids.filter((id) => !ok.has(id));
  }

  /** The key with its party, by the SHA-256 of its secret. */
  findBySecretHash(secretHash: string) {
    return this.prisma.apiKey.findUnique({ where: { secretHash }, include: { party: true } });
  }

  /** Records that the key authenticated a request (callers throttle this). */
  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at }, select: { id: true } });
  }
}
