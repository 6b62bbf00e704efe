-- AlterTable
ALTER TABLE "DutyAssessment" ADD COLUMN     "basis" JSONB,
ADD COLUMN     "computedAmount" DECIMAL(14,2),
ADD COLUMN     "explanation" TEXT,
ADD COLUMN     "lineKey" TEXT,
ADD COLUMN     "method" TEXT,
ADD COLUMN     "overrideReason" TEXT;
