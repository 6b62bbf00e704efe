-- CreateTable
CREATE TABLE "RateLimitPolicy" (
    "id" UUID NOT NULL,
    "partyId" UUID,
    "partyKind" "PartyKind" NOT NULL,
    "perMinute" INTEGER NOT NULL,
    "perDay" INTEGER,
    "validFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "setById" UUID,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RateLimitPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RateLimitPolicy_partyId_validFrom_idx" ON "RateLimitPolicy"("partyId", "validFrom");

-- CreateIndex
CREATE INDEX "RateLimitPolicy_partyKind_validFrom_idx" ON "RateLimitPolicy"("partyKind", "validFrom");

-- The documented defaults by party kind (README "Rate limits"); the operator changes them
-- with setRateLimit, which adds rows and never edits these.
INSERT INTO "RateLimitPolicy" ("id", "partyId", "partyKind", "perMinute", "perDay", "validFrom", "reason") VALUES
  (gen_random_uuid(), NULL, 'OPERATOR',   6000, NULL, '2026-01-01T00:00:00Z', 'default'),
  (gen_random_uuid(), NULL, 'CUSTOMS',   60000, NULL, '2026-01-01T00:00:00Z', 'default'),
  (gen_random_uuid(), NULL, 'CARRIER',  600000, NULL, '2026-01-01T00:00:00Z', 'default'),
  (gen_random_uuid(), NULL, 'POST',     600000, NULL, '2026-01-01T00:00:00Z', 'default'),
  (gen_random_uuid(), NULL, 'PLATFORM',  60000, NULL, '2026-01-01T00:00:00Z', 'default'),
  (gen_random_uuid(), NULL, 'BROKER',    30000, NULL, '2026-01-01T00:00:00Z', 'default');
