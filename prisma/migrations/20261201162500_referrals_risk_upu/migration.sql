-- CreateEnum
CREATE TYPE "ScreeningOutcome" AS ENUM ('NO_THREAT_FOUND', 'THREAT_FOUND', 'NOT_SCREENABLE');

-- AlterTable
ALTER TABLE "Hold" ADD COLUMN     "addresseeId" UUID,
ADD COLUMN     "answerDocuments" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "answerText" TEXT,
ADD COLUMN     "answeredAt" TIMESTAMP(3),
ADD COLUMN     "answeredById" UUID,
ADD COLUMN     "dueAt" TIMESTAMP(3),
ADD COLUMN     "escalatedToId" UUID,
ADD COLUMN     "question" TEXT,
ADD COLUMN     "ruleId" UUID,
ADD COLUMN     "ruleVersion" INTEGER,
ADD COLUMN     "screeningOutcome" "ScreeningOutcome";

-- AlterTable
ALTER TABLE "RiskAlert" ADD COLUMN     "ruleId" UUID,
ADD COLUMN     "ruleVersion" INTEGER;

-- AlterTable
ALTER TABLE "StatusEvent" ADD COLUMN     "reasonCode" TEXT;

-- CreateIndex
CREATE INDEX "Hold_addresseeId_status_idx" ON "Hold"("addresseeId", "status");
