export { WebhookResolver } from "./webhook.resolver";
export { WebhookService } from "./webhook.service";
export { WebhookWorker } from "./webhook.worker";
