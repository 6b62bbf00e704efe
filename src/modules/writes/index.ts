export { WriteService, WriteJournal, changesOf, auditValue, sealSecret, openSecret, hashRequest } from "./writes.service";
export type { WriteSpec, AuditNote, Kept, Tx, FieldChange } from "./writes.service";
