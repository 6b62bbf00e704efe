export { RulesResolver } from "./rules.resolver";
export { RulesService } from "./rules.service";
export { RuleBook, MissingRuleError, jurisdictionsFor, refOf, rateRefOf, describeRef, versionInForce, EU } from "./rules.model";
export type { RuleRow, RateRow, RuleRef, Money, Converted } from "./rules.model";
export { registerRuleKind, THRESHOLD_KEYS } from "./rules.kinds";
export type { ThresholdKey } from "./rules.kinds";
export { loadShippedRuleSets, SHIPPED_RULE_SETS } from "./rules.loader";
