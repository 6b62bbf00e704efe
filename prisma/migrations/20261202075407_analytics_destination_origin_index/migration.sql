-- CreateIndex
CREATE INDEX "Declaration_destination_origin_analytics_idx" ON "Declaration"("destinationCountry", "originCountry", "filedAt", "currency", "totalValue", "platformId", "carrierId", "status", "id");
