-- CreateIndex
CREATE INDEX "Declaration_destination_analytics_idx" ON "Declaration"("destinationCountry", "filedAt", "originCountry", "currency", "totalValue", "platformId", "carrierId", "status", "id");
