import { HubError } from "../shared/errors";

/** What a subscriber that fell too far behind gets instead of its next event. */
export class SubscriptionOverflowError extends HubError {
  constructor(limit: number) {
    super(
      "RATE_LIMITED",
      `This subscription fell more than ${limit} events behind and was ended; subscribe again with after set to the ` +
        "last eventId you received to get the events you missed, then live ones",
      { reason: "SUBSCRIPTION_FELL_BEHIND", buffer: limit },
    );
  }
}

export interface SubscribeOptions {
  /** events kept for a subscriber that has not asked for them yet (default: the pub/sub's) */
  buffer?: number;
  /**
   * Past the buffer: `error` ends the subscription (the next read rejects with
   * SubscriptionOverflowError); `drop-oldest` (default, for the hub's own listeners such
   * as the agreement cache) forgets the oldest buffered event and logs it.
   */
  overflow?: "error" | "drop-oldest";
}

/** One subscriber's events: an async iterator over a bounded buffer; publishing never waits or throws. */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private buffered: T[] = [];
  private readers: ((r: IteratorResult<T>) => void)[] = [];
  private failure: Error | null = null;
  private ended = false;

  constructor(
    private readonly limit: number,
    private readonly overflow: "error" | "drop-oldest",
    private readonly onEnd: () => void,
    private readonly onDrop: () => void,
  ) {}

  /** Called by the publisher: O(1), never throws. */
  push(value: T): void {
    if (this.ended) return;
    const reader = this.readers.shift();
    if (reader) return reader({ value, done: false });
    if (this.buffered.length >= this.limit) {
      if (this.overflow === "error") {
        this.buffered = [];
        this.failure = new SubscriptionOverflowError(this.limit);
        this.end();
        return;
      }
      this.buffered.shift();
      this.onDrop();
    }
    this.buffered.push(value);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  /** Whatever is buffered now (at most `max`), without waiting: lets a consumer handle events in batches. */
  takeBuffered(max: number): T[] {
    return this.buffered.splice(0, max);
  }

  return(): Promise<IteratorResult<T>> {
    this.buffered = [];
    this.failure = null;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
    this.onEnd();
  }
}
