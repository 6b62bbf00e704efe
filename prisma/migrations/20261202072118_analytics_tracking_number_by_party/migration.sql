-- CreateIndex
CREATE INDEX "Declaration_carrierId_trackingNumber_idx" ON "Declaration"("carrierId", "trackingNumber");

-- CreateIndex
CREATE INDEX "Declaration_filerId_trackingNumber_idx" ON "Declaration"("filerId", "trackingNumber");
