/**
 * Concurrent calls for one key share the promise of the first until it settles, so a cache
 * entry expiring under load costs one lookup, not one per request in flight (about 50 at a
 * time under the clearance bench's load: each expiry repeated the key, party and quota
 * queries that many times). Errors reach every caller that shared the call.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running) return running;
    const call = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, call);
    return call;
  }
}
