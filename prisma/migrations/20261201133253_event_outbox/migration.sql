-- CreateTable
CREATE TABLE "HubEvent" (
    "seq" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "declarationId" UUID,
    "payload" JSONB NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HubEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "HubEventCounter" (
    "id" INTEGER NOT NULL,
    "last" BIGINT NOT NULL,

    CONSTRAINT "HubEventCounter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HubEvent_declarationId_seq_idx" ON "HubEvent"("declarationId", "seq");

-- CreateIndex
CREATE INDEX "HubEvent_at_idx" ON "HubEvent"("at");

-- The counter's one row: events are numbered from 1.
INSERT INTO "HubEventCounter" ("id", "last") VALUES (1, 0) ON CONFLICT DO NOTHING;
