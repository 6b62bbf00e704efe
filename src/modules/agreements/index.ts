export { AgreementResolver } from "./agreements.resolver";
export { AgreementService } from "./agreements.service";
