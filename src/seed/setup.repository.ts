import type { HubSetup, PrismaClient } from "../generated/prisma/client";

export type { HubSetup };

/** The first start's record (one row) and the counts it resumes from. */
export class SetupRepository {
  constructor(private readonly prisma: PrismaClient) {}

  get(): Promise<HubSetup | null> {
    return this.prisma.hubSetup.findUnique({ where: { id: 1 } });
  }

  /** Starts the record; null when another process started it first (several instances on one database). */
  async begin(seed: "demo" | "none", declarationsTarget: number, finished = false): Promise<HubSetup | null> {
    try {
      return await this.prisma.hubSetup.create({ data: { id: 1, seed, declarationsTarget, finishedAt: finished ? new Date() : null } });
    } catch (err) {
      if ((err as { code?: string }).code === "P2002") return null;
      throw err;
    }
  }

  async finish(): Promise<void> {
    await this.prisma.hubSetup.update({ where: { id: 1 }, data: { finishedAt: new Date() } });
  }

  partyCount(): Promise<number> {
    return this.prisma.party.count();
  }

  declarationCount(): Promise<number> {
    return this.prisma.declaration.count();
  }

  /** Revokes the keys an unfinished setup issued but may never have shown; returns how many. */
  async revokeUnshown(labels: readonly string[], since: Date): Promise<number> {
    const { count } = await this.prisma.apiKey.updateMany({
      where: { label: { in: [...labels] }, revokedAt: null, createdAt: { gte: since } },
      data: { revokedAt: new Date() },
    });
    return count;
  }
}
