-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "PartyKind" AS ENUM ('OPERATOR', 'CUSTOMS', 'POST', 'CARRIER', 'PLATFORM', 'BROKER');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OPERATOR', 'OFFICER', 'ANALYST', 'AGENT');

-- CreateEnum
CREATE TYPE "DataCategory" AS ENUM ('STATUS', 'TRANSPORT', 'COMMERCIAL', 'PARTIES', 'RISK', 'REVENUE');

-- CreateEnum
CREATE TYPE "Contribution" AS ENUM ('STATUS_EVENTS', 'RISK_ALERTS', 'HOLDS', 'AMEND', 'DUTIES');

-- CreateEnum
CREATE TYPE "AgreementStatus" AS ENUM ('PROPOSED', 'ACTIVE', 'SUSPENDED', 'REVOKED');

-- CreateEnum
CREATE TYPE "DeclarationCategory" AS ENUM ('SALE_OF_GOODS', 'GIFT', 'SAMPLE', 'DOCUMENTS', 'RETURNED_GOODS', 'OTHER');

-- CreateEnum
CREATE TYPE "DeclarationStatus" AS ENUM ('FILED', 'REGISTERED', 'RISK_ASSESSED', 'CLEARED_TO_LOAD', 'RFI', 'SCREENING', 'DO_NOT_LOAD', 'ARRIVED', 'DUTIES_ASSESSED', 'RELEASED', 'HELD', 'DELIVERED', 'RETURNED', 'SEIZED');

-- CreateEnum
CREATE TYPE "AlertSeverity" AS ENUM ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL');

-- CreateEnum
CREATE TYPE "AlertStatus" AS ENUM ('OPEN', 'CONFIRMED', 'DISMISSED');

-- CreateEnum
CREATE TYPE "HoldKind" AS ENUM ('RFI', 'HIGH_RISK_SCREENING', 'DO_NOT_LOAD', 'INSPECTION', 'DOCUMENTS_REQUIRED');

-- CreateEnum
CREATE TYPE "HoldStatus" AS ENUM ('OPEN', 'RELEASED');

-- CreateEnum
CREATE TYPE "TaxType" AS ENUM ('DUTY', 'VAT', 'FEE');

-- CreateEnum
CREATE TYPE "CollectionModel" AS ENUM ('IOSS', 'DDP', 'COLLECTED_ON_DELIVERY');

-- CreateTable
CREATE TABLE "Party" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "PartyKind" NOT NULL,
    "country" CHAR(2) NOT NULL,
    "eori" TEXT,
    "vatNumber" TEXT,
    "iossNumber" TEXT,
    "upuCode" TEXT,
    "carrierCode" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Party_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL,
    "partyId" UUID NOT NULL,
    "role" "Role" NOT NULL,
    "label" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Agreement" (
    "id" UUID NOT NULL,
    "grantorId" UUID NOT NULL,
    "granteeId" UUID NOT NULL,
    "proposedById" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "legalBasis" TEXT NOT NULL,
    "categories" "DataCategory"[],
    "contributions" "Contribution"[],
    "scopeDestinations" TEXT[],
    "scopeOrigins" TEXT[],
    "scopeOnlyCarried" BOOLEAN NOT NULL DEFAULT false,
    "validFrom" TIMESTAMP(3) NOT NULL,
    "validTo" TIMESTAMP(3),
    "status" "AgreementStatus" NOT NULL DEFAULT 'PROPOSED',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Agreement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgreementEvent" (
    "id" UUID NOT NULL,
    "agreementId" UUID NOT NULL,
    "actorPartyId" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "fromStatus" "AgreementStatus",
    "toStatus" "AgreementStatus" NOT NULL,
    "note" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AgreementEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Declaration" (
    "id" UUID NOT NULL,
    "filerId" UUID NOT NULL,
    "localReference" TEXT NOT NULL,
    "payloadHash" TEXT NOT NULL,
    "movementReference" TEXT,
    "trackingNumber" TEXT NOT NULL,
    "platformId" UUID,
    "carrierId" UUID,
    "postId" UUID,
    "originCountry" CHAR(2) NOT NULL,
    "destinationCountry" CHAR(2) NOT NULL,
    "totalValue" DECIMAL(14,2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "grossWeightKg" DECIMAL(10,3) NOT NULL,
    "category" "DeclarationCategory" NOT NULL,
    "iossNumber" TEXT,
    "platformOrderId" TEXT,
    "incoterm" TEXT,
    "ddp" BOOLEAN NOT NULL DEFAULT false,
    "sellerName" TEXT,
    "sellerAddress" TEXT,
    "sellerCountry" CHAR(2),
    "buyerName" TEXT,
    "buyerAddress" TEXT,
    "buyerCountry" CHAR(2),
    "buyerEmail" TEXT,
    "status" "DeclarationStatus" NOT NULL DEFAULT 'FILED',
    "version" INTEGER NOT NULL DEFAULT 1,
    "filedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "releasedAt" TIMESTAMP(3),

    CONSTRAINT "Declaration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GoodsItem" (
    "id" UUID NOT NULL,
    "declarationId" UUID NOT NULL,
    "lineNumber" INTEGER NOT NULL,
    "description" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "netWeightKg" DECIMAL(10,3) NOT NULL,
    "value" DECIMAL(14,2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "hsCode" TEXT NOT NULL,
    "originCountry" CHAR(2) NOT NULL,

    CONSTRAINT "GoodsItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RiskAlert" (
    "id" UUID NOT NULL,
    "declarationId" UUID NOT NULL,
    "raisedById" UUID NOT NULL,
    "raisedByRule" TEXT,
    "severity" "AlertSeverity" NOT NULL,
    "reasonCode" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "AlertStatus" NOT NULL DEFAULT 'OPEN',
    "resolvedById" UUID,
    "resolutionNote" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "RiskAlert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Hold" (
    "id" UUID NOT NULL,
    "declarationId" UUID NOT NULL,
    "placedById" UUID NOT NULL,
    "kind" "HoldKind" NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "HoldStatus" NOT NULL DEFAULT 'OPEN',
    "response" TEXT,
    "outcome" TEXT,
    "placedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "releasedAt" TIMESTAMP(3),
    "releasedById" UUID,

    CONSTRAINT "Hold_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DutyAssessment" (
    "id" UUID NOT NULL,
    "declarationId" UUID NOT NULL,
    "assessedById" UUID NOT NULL,
    "taxType" "TaxType" NOT NULL,
    "base" DECIMAL(14,2) NOT NULL,
    "rate" DECIMAL(7,4) NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "collectionModel" "CollectionModel" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DutyAssessment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StatusEvent" (
    "id" UUID NOT NULL,
    "declarationId" UUID NOT NULL,
    "recordedById" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "place" TEXT,
    "note" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StatusEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessLogEntry" (
    "id" UUID NOT NULL,
    "holderId" UUID NOT NULL,
    "viewerPartyId" UUID NOT NULL,
    "apiKeyId" UUID,
    "operationName" TEXT,
    "recordType" TEXT NOT NULL,
    "recordIds" TEXT[],
    "categories" "DataCategory"[],
    "basis" TEXT NOT NULL,
    "agreementId" UUID,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccessLogEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Party_kind_country_idx" ON "Party"("kind", "country");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_secretHash_key" ON "ApiKey"("secretHash");

-- CreateIndex
CREATE INDEX "ApiKey_partyId_idx" ON "ApiKey"("partyId");

-- CreateIndex
CREATE INDEX "Agreement_granteeId_status_idx" ON "Agreement"("granteeId", "status");

-- CreateIndex
CREATE INDEX "Agreement_grantorId_status_idx" ON "Agreement"("grantorId", "status");

-- CreateIndex
CREATE INDEX "AgreementEvent_agreementId_at_idx" ON "AgreementEvent"("agreementId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Declaration_movementReference_key" ON "Declaration"("movementReference");

-- CreateIndex
CREATE INDEX "Declaration_trackingNumber_idx" ON "Declaration"("trackingNumber");

-- CreateIndex
CREATE INDEX "Declaration_destinationCountry_status_filedAt_idx" ON "Declaration"("destinationCountry", "status", "filedAt");

-- CreateIndex
CREATE INDEX "Declaration_carrierId_filedAt_idx" ON "Declaration"("carrierId", "filedAt");

-- CreateIndex
CREATE INDEX "Declaration_postId_filedAt_idx" ON "Declaration"("postId", "filedAt");

-- CreateIndex
CREATE INDEX "Declaration_platformId_filedAt_idx" ON "Declaration"("platformId", "filedAt");

-- CreateIndex
CREATE INDEX "Declaration_filedAt_id_idx" ON "Declaration"("filedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Declaration_filerId_localReference_key" ON "Declaration"("filerId", "localReference");

-- CreateIndex
CREATE UNIQUE INDEX "GoodsItem_declarationId_lineNumber_key" ON "GoodsItem"("declarationId", "lineNumber");

-- CreateIndex
CREATE INDEX "RiskAlert_declarationId_idx" ON "RiskAlert"("declarationId");

-- CreateIndex
CREATE INDEX "Hold_declarationId_idx" ON "Hold"("declarationId");

-- CreateIndex
CREATE INDEX "DutyAssessment_declarationId_idx" ON "DutyAssessment"("declarationId");

-- CreateIndex
CREATE INDEX "StatusEvent_declarationId_occurredAt_idx" ON "StatusEvent"("declarationId", "occurredAt");

-- CreateIndex
CREATE INDEX "AccessLogEntry_holderId_at_idx" ON "AccessLogEntry"("holderId", "at");

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_partyId_fkey" FOREIGN KEY ("partyId") REFERENCES "Party"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agreement" ADD CONSTRAINT "Agreement_grantorId_fkey" FOREIGN KEY ("grantorId") REFERENCES "Party"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agreement" ADD CONSTRAINT "Agreement_granteeId_fkey" FOREIGN KEY ("granteeId") REFERENCES "Party"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgreementEvent" ADD CONSTRAINT "AgreementEvent_agreementId_fkey" FOREIGN KEY ("agreementId") REFERENCES "Agreement"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Declaration" ADD CONSTRAINT "Declaration_filerId_fkey" FOREIGN KEY ("filerId") REFERENCES "Party"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Declaration" ADD CONSTRAINT "Declaration_platformId_fkey" FOREIGN KEY ("platformId") REFERENCES "Party"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Declaration" ADD CONSTRAINT "Declaration_carrierId_fkey" FOREIGN KEY ("carrierId") REFERENCES "Party"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Declaration" ADD CONSTRAINT "Declaration_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Party"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GoodsItem" ADD CONSTRAINT "GoodsItem_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RiskAlert" ADD CONSTRAINT "RiskAlert_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Hold" ADD CONSTRAINT "Hold_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DutyAssessment" ADD CONSTRAINT "DutyAssessment_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StatusEvent" ADD CONSTRAINT "StatusEvent_declarationId_fkey" FOREIGN KEY ("declarationId") REFERENCES "Declaration"("id") ON DELETE CASCADE ON UPDATE CASCADE;
