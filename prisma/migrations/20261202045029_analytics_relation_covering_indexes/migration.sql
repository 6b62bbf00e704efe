-- CreateIndex
CREATE INDEX "DutyAssessment_declarationId_supersededAt_taxType_assessedB_idx" ON "DutyAssessment"("declarationId", "supersededAt", "taxType", "assessedById");

-- CreateIndex
CREATE INDEX "Hold_kind_status_declarationId_placedById_idx" ON "Hold"("kind", "status", "declarationId", "placedById");

-- CreateIndex
CREATE INDEX "RiskAlert_severity_declarationId_raisedById_idx" ON "RiskAlert"("severity", "declarationId", "raisedById");
