import type { PrismaClient } from "../../generated/prisma/client";
import type { RulesService } from "../rules/rules.service";
import { RiskAssessor } from "./risk.assessor";
import { RiskRepository } from "./risk.repository";
import { RulesRiskSource } from "./risk.source";
import "./risk.kinds"; // registers RISK_RULE and RISK_SETTINGS with the versioned rules

export { RiskAssessor } from "./risk.assessor";
export { RISK_RULE, RISK_SETTINGS } from "./risk.kinds";

/** Risk assessment over the versioned rules: one per hub, shared by filing and the workflow. */
export function createRiskAssessor(prisma: PrismaClient, rules: RulesService): RiskAssessor {
  const repo = new RiskRepository(prisma);
  return new RiskAssessor(new RulesRiskSource(rules, repo), repo);
}
