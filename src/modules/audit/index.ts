export { AuditResolver, WriteAuditResolver } from "./audit.resolver";
export { AuditService } from "./audit.service";
export { AccessLogWriter } from "./access-log.writer";
