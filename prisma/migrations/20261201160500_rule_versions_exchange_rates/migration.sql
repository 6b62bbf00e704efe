-- CreateTable
CREATE TABLE "RuleVersion" (
    "id" UUID NOT NULL,
    "jurisdiction" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "validFrom" TIMESTAMP(3) NOT NULL,
    "validTo" TIMESTAMP(3),
    "legalReference" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "illustrative" BOOLEAN NOT NULL DEFAULT false,
    "source" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RuleVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExchangeRate" (
    "id" UUID NOT NULL,
    "jurisdiction" TEXT NOT NULL,
    "baseCurrency" CHAR(3) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "rate" DECIMAL(18,8) NOT NULL,
    "version" INTEGER NOT NULL,
    "validFrom" TIMESTAMP(3) NOT NULL,
    "validTo" TIMESTAMP(3),
    "legalReference" TEXT NOT NULL,
    "illustrative" BOOLEAN NOT NULL DEFAULT false,
    "source" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExchangeRate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RuleVersion_jurisdiction_kind_idx" ON "RuleVersion"("jurisdiction", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "RuleVersion_jurisdiction_kind_key_version_key" ON "RuleVersion"("jurisdiction", "kind", "key", "version");

-- CreateIndex
CREATE INDEX "ExchangeRate_currency_validFrom_idx" ON "ExchangeRate"("currency", "validFrom");

-- CreateIndex
CREATE UNIQUE INDEX "ExchangeRate_jurisdiction_currency_version_key" ON "ExchangeRate"("jurisdiction", "currency", "version");
