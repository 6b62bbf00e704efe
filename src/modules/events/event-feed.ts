import type { Declaration, Hold } from "../../generated/prisma/client";
import { TOPICS, type HubPubSub } from "../../infra/pubsub";
import type { Logger } from "../../infra/logger";
import { EventsRepository, type HubEvent } from "./events.repository";

/** Events read per statement. */
const PAGE = 500;

/** An outbox event with the records it is about, shared by every subscriber that gets it. */
export interface FeedEvent {
  seq: bigint;
  type: string;
  at: Date;
  declarationId: string | null;
  payload: Record<string, unknown>;
  declaration: Declaration | null;
  hold: Hold | null;
  /** who may see it, decided once per (party, role) whatever the number of its sockets */
  decisions: Map<string, boolean>;
  /**
   * Results rendered for it, by (party, role, document, variables): executed once and sent
   * to every socket (and webhook) of that group (src/server/ws-multiplex.ts)
   */
  renders: Map<string, Promise<unknown>>;
}

export type FeedListener = (event: FeedEvent) => void;

/**
 * This instance's reader of the outbox. Committed events are read from the database in
 * order, a page at a time with the declarations and holds they are about (three statements
 * a page, whatever the number of subscribers), and handed to every listener. It reads when
 * a write on any instance wakes it (pub/sub: local at once, others through Redis) and every
 * `pollMs` anyway, so a lost wake-up delays an event but never loses it: the outbox is the
 * truth, Redis only wakes instances up.
 */
export class EventFeed {
  private position = 0n;
  private started: Promise<void> | null = null;
  private pumping = false;
  private again = false;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private wakeups: { return(): unknown } | undefined;
  private readonly listeners = new Set<FeedListener>();

  constructor(
    readonly repo: EventsRepository,
    private readonly events: HubPubSub,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  /** Starts reading at the newest event (once); later calls wait for the same start. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.position = await this.repo.latestSeq();
      const wakeups = this.events.pubsub.subscribe(TOPICS.EVENTS_APPENDED, { buffer: 1000 });
      this.wakeups = wakeups;
      void (async () => {
        for await (const _ of wakeups) this.wake();
      })();
      this.timer = setInterval(() => this.wake(), this.pollMs);
      this.timer.unref();
    })().catch((err: unknown) => {
      this.started = null; // the next subscriber tries again
      throw err;
    });
    return this.started;
  }

  /** The last event handed to listeners. */
  get seen(): bigint {
    return this.position;
  }

  /** Whether this instance reads the outbox (it starts with the first subscriber); for metrics. */
  get running(): boolean {
    return this.started !== null;
  }

  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads what was committed since the last read; concurrent calls fold into one more read. */
  wake(): void {
    if (!this.started) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
    });
  }

  /** Events after `after` (up to `until`), with their records: for a subscriber catching up. */
  async page(after: bigint, until: bigint, declarationId?: string): Promise<FeedEvent[]> {
    const rows = (await this.repo.after(after, PAGE, declarationId)).filter((r) => r.seq <= until);
    return this.withRecords(rows);
  }

  /** These events (those still kept), with their records: for webhook deliveries. */
  async bySeq(seqs: bigint[]): Promise<FeedEvent[]> {
    return this.withRecords(await this.repo.bySeq(seqs));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    void this.wakeups?.return();
    this.listeners.clear();
    this.started = null;
    void this.repo.close().catch(() => {});
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        for (;;) {
          const batch = await this.withRecords(await this.repo.after(this.position, PAGE));
          for (const event of batch) {
            this.position = event.seq;
            for (const listener of [...this.listeners]) listener(event);
          }
          if (batch.length < PAGE) break;
        }
      } while (this.again);
      if (this.failing) this.log.info("event feed: the outbox answers again");
      this.failing = false;
    } catch (err) {
      // The database is unreachable: the next wake-up or poll reads from the same position.
      if (!this.failing) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "event feed: cannot read the outbox; retrying");
      this.failing = true;
    }
  }

  private async withRecords(rows: HubEvent[]): Promise<FeedEvent[]> {
    if (!rows.length) return [];
    const holdIds = rows.map((r) => (r.payload as { holdId?: unknown })?.holdId).filter((x): x is string => typeof x === "string");
    const [declarations, holds] = await Promise.all([
      this.repo.declarations([...new Set(rows.map((r) => r.declarationId).filter((x): x is string => !!x))]),
      this.repo.holds([...new Set(holdIds)]),
    ]);
    const declarationOf = new Map(declarations.map((d) => [d.id, d]));
    const holdOf = new Map(holds.map((h) => [h.id, h]));
    return rows.map((r) => {
      const payload = (r.payload ?? {}) as Record<string, unknown>;
      return {
        seq: r.seq,
        type: r.type,
        at: r.at,
        declarationId: r.declarationId,
        payload,
        declaration: r.declarationId ? (declarationOf.get(r.declarationId) ?? null) : null,
        hold: typeof payload.holdId === "string" ? (holdOf.get(payload.holdId) ?? null) : null,
        decisions: new Map(),
        renders: new Map(),
      };
    });
  }
}
