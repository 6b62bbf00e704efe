export { PartyResolver } from "./parties.resolver";
export { PartyService } from "./parties.service";
