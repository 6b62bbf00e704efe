-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "lastUsedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "HubSetup" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "seed" TEXT NOT NULL,
    "declarationsTarget" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "HubSetup_pkey" PRIMARY KEY ("id")
);
