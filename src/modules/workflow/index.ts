export { WorkflowResolver } from "./workflow.resolver";
export { WorkflowService } from "./workflow.service";
