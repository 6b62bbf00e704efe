-- AlterTable
ALTER TABLE "GoodsItem" ADD COLUMN     "descriptionSearch" tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, description)) STORED;

-- CreateIndex
CREATE INDEX "GoodsItem_descriptionSearch_idx" ON "GoodsItem" USING GIN ("descriptionSearch");
