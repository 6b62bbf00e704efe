-- CreateIndex
CREATE INDEX "DutyAssessment_assessedById_declarationId_idx" ON "DutyAssessment"("assessedById", "declarationId");

-- CreateIndex
CREATE INDEX "Hold_placedById_declarationId_idx" ON "Hold"("placedById", "declarationId");

-- CreateIndex
CREATE INDEX "RiskAlert_raisedById_declarationId_idx" ON "RiskAlert"("raisedById", "declarationId");
