import { createPubSub } from "@graphql-yoga/subscription";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import Redis from "ioredis";

/** Events the hub publishes; payloads carry ids only, subscribers re-read under their policy. */
export interface HubEvents {
  [key: string]: [unknown];
  HOLD_PLACED: [{ holdId: string; declarationId: string }];
  DECLARATION_STATUS_CHANGED: [{ declarationId: string; status: string; previousStatus: string }];
  AGREEMENTS_CHANGED: [{ partyIds: string[] }];
}

export const TOPICS = {
  HOLD_PLACED: "HOLD_PLACED",
  DECLARATION_STATUS_CHANGED: "DECLARATION_STATUS_CHANGED",
  AGREEMENTS_CHANGED: "AGREEMENTS_CHANGED",
} as const;

export interface HubPubSub {
  pubsub: ReturnType<typeof createPubSub<HubEvents>>;
  close(): Promise<void>;
}

/** In-process by default; Redis when REDIS_URL is set, so several instances share events. */
export function createHubPubSub(redisUrl: string | undefined): HubPubSub {
  if (!redisUrl) return { pubsub: createPubSub<HubEvents>(), close: async () => {} };
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<HubEvents>({ eventTarget }),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
