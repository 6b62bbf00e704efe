-- CreateIndex
CREATE INDEX "Declaration_filer_analytics_idx" ON "Declaration"("filerId", "filedAt", "destinationCountry", "originCountry", "currency", "totalValue", "platformId", "carrierId", "status", "id");
