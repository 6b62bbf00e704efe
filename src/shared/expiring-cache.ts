import { SingleFlight } from "./single-flight";

export interface ExpiringCacheOptions {
  /** how long a loaded value is served, counted from the start of its load */
  ttlMs: number;
  /** more entries than this and the cache is emptied before the next one is stored */
  maxSize: number;
  /**
   * A load that fails while the key has an entry (expired, not invalidated) answers with
   * that entry's value instead, without storing it again: the next miss tries the load again.
   */
  staleOnError?: boolean;
}

/**
 * A map whose entries expire, filled by get-or-load. Concurrent misses of one key share one
 * load (SingleFlight). Invalidation counts generations: a load that began before an
 * invalidation (of any key) does not store its answer, which may predate the change.
 */
export class ExpiringCache<K extends string, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();
  private readonly loads = new SingleFlight<V>();
  private generation = 0;

  constructor(private readonly options: ExpiringCacheOptions) {}

  /** The key's value if fresh, else that of `load` (shared with concurrent misses of the key). */
  get(key: K, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    if (entry && entry.until > Date.now()) return Promise.resolve(entry.value);
    return this.loads.run(key, () => this.load(key, load, entry));
  }

  private async load(key: K, load: () => Promise<V>, stale: { value: V } | undefined): Promise<V> {
    const start = Date.now();
    const generation = this.generation;
    let value: V;
    try {
      value = await load();
    } catch (err) {
      if (this.options.staleOnError && stale) return stale.value;
      throw err;
    }
    if (this.entries.size > this.options.maxSize) this.entries.clear(); // bounded: a crude but cheap eviction
    if (generation === this.generation) this.entries.set(key, { value, until: start + this.options.ttlMs });
    return value;
  }

  /** The values not yet expired. */
  *fresh(): IterableIterator<V> {
    const now = Date.now();
    for (const entry of this.entries.values()) if (entry.until > now) yield entry.value;
  }

  /** Drops an entry that is known to be useless; unlike the invalidations, a load in flight still stores its answer. */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Invalidates the entries whose value matches; loads in flight do not store, even when none matched. */
  invalidateWhere(matches: (value: V) => boolean): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  invalidateAll(): void {
    this.generation++;
    this.entries.clear();
  }
}
