-- AlterTable
ALTER TABLE "AccessLogEntry" ADD COLUMN     "inference" TEXT,
ADD COLUMN     "recordCount" INTEGER;
