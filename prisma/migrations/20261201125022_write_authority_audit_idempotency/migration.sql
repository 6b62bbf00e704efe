-- DropForeignKey
ALTER TABLE "DutyAssessment" DROP CONSTRAINT "DutyAssessment_declarationId_fkey";

-- DropForeignKey
ALTER TABLE "GoodsItem" DROP CONSTRAINT "GoodsItem_declarationId_fkey";

-- DropForeignKey
ALTER TABLE "Hold" DROP CONSTRAINT "Hold_declarationId_fkey";

-- DropForeignKey
ALTER TABLE "RiskAlert" DROP CONSTRAINT "RiskAlert_declarationId_fkey";

-- DropForeignKey
ALTER TABLE "StatusEvent" DROP CONSTRAINT "StatusEvent_declarationId_fkey";

-- DropIndex
DROP INDEX "DutyAssessment_declarationId_idx";

-- AlterTable
ALTER TABLE "Declaration" ADD COLUMN     "dutiesVersion" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "DutyAssessment" ADD COLUMN     "correctionReason" TEXT,
ADD COLUMN     "supersededAt" TIMESTAMP(3),
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "StatusEvent" ADD COLUMN     "customsNote" TEXT;

-- CreateTable
CREATE TABLE "LiveParcel" (
    "trackingNumber" TEXT NOT NULL,
    "partyId" UUID NOT NULL,
    "declarationId" UUID NOT NULL,

    CONSTRAINT "LiveParcel_pkey" PRIMARY KEY ("trackingNumber","partyId")
);

-- CreateTable
CREATE TABLE "IdempotencyRecord" (
    "partyId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyRecord_pkey" PRIMARY KEY ("partyId","key")
);

-- CreateTable
CREATE TABLE "WriteAuditEntry" (
    "id" UUID NOT NULL,
    "actorPartyId" UUID NOT NULL,
    "apiKeyId" UUID,
    "operation" TEXT NOT NULL,
    "recordType" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "declarationId" UUID,
    "holderId" UUID,
    "changes" JSONB NOT NULL,
    "idempotencyKey" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WriteAuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LiveParcel_declarationId_idx" ON "LiveParcel"("declarationId");

-- CreateIndex
CREATE INDEX "IdempotencyRecord_createdAt_idx" ON "IdempotencyRecord"("createdAt");

-- CreateIndex
CREATE INDEX "WriteAuditEntry_declarationId_at_idx" ON "WriteAuditEntry"("declarationId", "at");

-- CreateIndex
CREATE INDEX "WriteAuditEntry_holderId_at_idx" ON "WriteAuditEntry"("holderId", "at");

-- CreateIndex
CREATE INDEX "WriteAuditEntry_recordId_at_idx" ON "WriteAuditEntry"("recordId", "at");

-- CreateIndex
CREATE INDEX "WriteAuditEntry_actorPartyId_at_idx" ON "WriteAuditEntry"("actorPartyId", "at");

-- CreateIndex
CREATE INDEX "DutyAssessment_declarationId_version_idx" ON "DutyAssessment"("declarationId", "version");

-- AddForeignKey
ALTER TABLE "GoodsItem" ADD CONSTRAINT "GoodsItem_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskAlert" ADD CONSTRAINT "RiskAlert_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Hold" ADD CONSTRAINT "Hold_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DutyAssessment" ADD CONSTRAINT "DutyAssessment_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StatusEvent" ADD CONSTRAINT "StatusEvent_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LiveParcel" ADD CONSTRAINT "LiveParcel_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Backfill: bind each live (non-final) declaration to its carrier and its post. Where a
-- store already holds several live declarations of one parcel for one carrier, the newest
-- is bound.
INSERT INTO "LiveParcel" ("trackingNumber", "partyId", "declarationId")
SELECT DISTINCT ON (b."trackingNumber", b."partyId") b."trackingNumber", b."partyId", b."id"
FROM (
  SELECT "trackingNumber", "carrierId" AS "partyId", "id", "filedAt" FROM "Declaration"
  WHERE "carrierId" IS NOT NULL AND "status" NOT IN ('DELIVERED', 'RETURNED', 'SEIZED')
  UNION ALL
  SELECT "trackingNumber", "postId" AS "partyId", "id", "filedAt" FROM "Declaration"
  WHERE "postId" IS NOT NULL AND "status" NOT IN ('DELIVERED', 'RETURNED', 'SEIZED')
) b
ORDER BY b."trackingNumber", b."partyId", b."filedAt" DESC
ON CONFLICT DO NOTHING;
