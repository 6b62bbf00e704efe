-- CreateIndex
CREATE INDEX "GoodsItem_hsCode_idx" ON "GoodsItem"("hsCode");
