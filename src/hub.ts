import type { Config } from "./config";
import type { PrismaClient } from "./generated/prisma/client";
import type { Logger } from "./infra/logger";
import { TOPICS, type HubPubSub } from "./infra/pubsub";
import { EventFeed } from "./modules/events/event-feed";
import { EventsRepository } from "./modules/events/events.repository";
import { Authenticator } from "./authn/authenticate";
import { AccessLogWriter } from "./modules/audit/access-log.writer";
import { AuditService } from "./modules/audit/audit.service";
import { PartyService } from "./modules/parties/parties.service";
import { AgreementService } from "./modules/agreements/agreements.service";
import { DeclarationService } from "./modules/declarations/declarations.service";
import { WorkflowService } from "./modules/workflow";
import { NotificationService } from "./modules/notifications";
import { WriteService } from "./modules/writes";
import { WebhookService } from "./modules/webhooks/webhook.service";
import { AnalyticsService } from "./modules/analytics/analytics.service";
import { createPrismaClient, createReadPool, poolOf } from "./infra/prisma";
import { RulesService } from "./modules/rules";
import { RateLimitService } from "./modules/ratelimits";
import { createRiskAssessor } from "./modules/risk";
import { DeclarationChildrenRepository } from "./modules/declarations/declarations.children.repository";
import type { LoaderSources } from "./context/loaders";
import { DatabaseHealth } from "./infra/db-health";

/** The long-lived parts of a running hub, shared by every request. */
export interface Hub {
  config: Config;
  prisma: PrismaClient;
  log: Logger;
  /** logs a lost database once, and once when it is back */
  dbHealth: DatabaseHealth;
  events: HubPubSub;
  accessLog: AccessLogWriter;
  /** this instance's reader of the outbox, for subscriptions */
  feed: EventFeed;
  authenticator: Authenticator;
  /** where each request's DataLoaders read from */
  loaderSources: LoaderSources;
  services: {
    parties: PartyService;
    agreements: AgreementService;
    declarations: DeclarationService;
    audit: AuditService;
    workflow: WorkflowService;
    writes: WriteService;
    notifications: NotificationService;
    /** webhook endpoints and logs; the worker (started by app.ts) delivers */
    webhooks: WebhookService;
    /** analysts' filters and declarationStats (on DATABASE_READ_URL when set) */
    analytics: AnalyticsService;
    /** versioned rules: tariffs, thresholds, settings, exchange rates */
    rules: RulesService;
    /** per-party limits and quotas (the counting is src/server/limits.ts) */
    rateLimits: RateLimitService;
  };
}

/** Wires the services once; call ensureReady() before serving. */
export function createHub(config: Config, prisma: PrismaClient, log: Logger, events: HubPubSub): Hub {
  const accessLog = new AccessLogWriter(prisma, log, config.HUB_ACCESS_LOG_FLUSH_MS);
  // After a write commits outbox events, every instance's feed is woken to read them.
  const writes = new WriteService(prisma, () => events.pubsub.publish(TOPICS.EVENTS_APPENDED, {}));
  const feed = new EventFeed(new EventsRepository(prisma), events, log, config.HUB_EVENT_POLL_MS);
  const parties = new PartyService(prisma, config, writes);
  const rules = new RulesService(prisma, writes, events);
  const risk = createRiskAssessor(prisma, rules);
  const dbHealth = new DatabaseHealth(poolOf(prisma), log);
  // analysts' reads on the read replica when there is one; writes and the access log on the primary
  const readUrl = config.DATABASE_READ_URL;
  const analytics = readUrl
    ? new AnalyticsService(config, createPrismaClient(readUrl, { embedded: false, pool: createReadPool(readUrl) }), "replica")
    : new AnalyticsService(config, prisma, "primary");
  return {
    config,
    prisma,
    log,
    dbHealth,
    events,
    feed,
    accessLog,
    loaderSources: {
      parties: (ids) => parties.repo.findParties(ids),
      children: new DeclarationChildrenRepository(prisma),
      replicaChildren: readUrl ? new DeclarationChildrenRepository(analytics.client) : null,
    },
    authenticator: new Authenticator(prisma, config.HUB_ADMIN_TOKEN, () => parties.operatorPartyId(), (err) => dbHealth.failed(err)),
    services: {
      parties,
      agreements: new AgreementService(prisma, writes, events, config.HUB_AGREEMENT_CACHE_MS),
      declarations: new DeclarationService(prisma, writes, risk, analytics.client, rules),
      audit: new AuditService(prisma, writes),
      workflow: new WorkflowService(prisma, writes, risk),
      writes,
      notifications: new NotificationService(feed),
      webhooks: new WebhookService(prisma, config, writes),
      analytics,
      rules,
      rateLimits: new RateLimitService(prisma, writes, config.HUB_RATE_LIMIT_CACHE_MS, config.HUB_RATE_LIMIT_PER_MINUTE),
    },
  };
}
