export { NotificationResolver } from "./notifications.resolver";
export { NotificationService } from "./notifications.service";
