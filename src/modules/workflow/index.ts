export { WorkflowResolver } from "./workflow.resolver";
export { ReferralResolver } from "./workflow.referrals.resolver";
export { WorkflowService } from "./workflow.service";
export { StatusEventResolver } from "./workflow.events.resolver";
