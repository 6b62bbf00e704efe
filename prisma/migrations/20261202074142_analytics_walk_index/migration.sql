-- DropIndex
DROP INDEX "Declaration_filedAt_id_idx";

-- CreateIndex
CREATE INDEX "Declaration_walk_idx" ON "Declaration"("filedAt", "id", "filerId", "destinationCountry", "originCountry", "carrierId", "postId", "platformId");
