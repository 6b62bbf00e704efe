export { DeclarationResolver, DeclarationConnectionResolver } from "./declarations.resolver";
export { DeclarationService } from "./declarations.service";
