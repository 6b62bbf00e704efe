/** ExpiringCache: the expiry, size bound, single flight and generations behind the key and quota caches. */
import { ExpiringCache, type ExpiringCacheOptions } from "../src/shared/expiring-cache";

let clock = 1_000_000;
beforeEach(() => {
  clock = 1_000_000;
  jest.spyOn(Date, "now").mockImplementation(() => clock);
});
afterEach(() => jest.restoreAllMocks());

/** A load that counts its calls and answers (or fails) only when released. */
function gatedLoad<V>() {
  let calls = 0;
  let release!: (v: V) => void;
  let fail!: (err: Error) => void;
  const load = () => {
    calls++;
    return new Promise<V>((resolve, reject) => ([release, fail] = [resolve, reject]));
  };
  return { load, calls: () => calls, release: (v: V) => release(v), fail: (err: Error) => fail(err) };
}

/** A cache whose loads answer `${key}#${n}` (n counts the loads of that key), with the load count per key. */
function counting(options: Partial<ExpiringCacheOptions> = {}) {
  const cache = new ExpiringCache<string, string>({ ttlMs: 100, maxSize: 10, ...options });
  const loads = new Map<string, number>();
  const get = (key: string) =>
    cache.get(key, async () => {
      const n = (loads.get(key) ?? 0) + 1;
      loads.set(key, n);
      return `${key}#${n}`;
    });
  return { cache, get, loads: (key: string) => loads.get(key) ?? 0 };
}

describe("ExpiringCache", () => {
  it("serves a value for ttlMs from the start of its load, then loads again", async () => {
    const cache = new ExpiringCache<string, string>({ ttlMs: 100, maxSize: 10 });
    const slow = gatedLoad<string>();
    const first = cache.get("a", slow.load);
    clock += 30; // the load takes 30 ms: the entry expires 100 ms after it began
    slow.release("a1");
    expect(await first).toBe("a1");

    clock += 69;
    expect(await cache.get("a", async () => "a2")).toBe("a1");
    clock += 1;
    expect(await cache.get("a", async () => "a2")).toBe("a2");
  });

  it("empties itself before storing once it holds more than maxSize entries", async () => {
    const { get, loads } = counting({ maxSize: 2 });
    for (const key of ["a", "b", "c"]) await get(key); // 3 entries: one more than maxSize
    await get("a");
    expect(loads("a")).toBe(1); // all still cached
    await get("d"); // cleared first, then d stored
    await get("d");
    expect(loads("d")).toBe(1);
    for (const key of ["a", "b", "c"]) await get(key);
    expect([loads("a"), loads("b"), loads("c")]).toEqual([2, 2, 2]);
  });

  it("shares one load among concurrent misses of a key, its answer and its error", async () => {
    const cache = new ExpiringCache<string, string>({ ttlMs: 100, maxSize: 10 });
    const ok = gatedLoad<string>();
    const all = Promise.all(Array.from({ length: 20 }, () => cache.get("a", ok.load)));
    const other = cache.get("b", async () => "b1"); // another key: its own load
    ok.release("a1");
    expect(await all).toEqual(Array(20).fill("a1"));
    expect(ok.calls()).toBe(1);
    expect(await other).toBe("b1");

    const bad = gatedLoad<string>();
    const failing = Promise.allSettled(Array.from({ length: 5 }, () => cache.get("c", bad.load)));
    bad.fail(new Error("down"));
    const settled = await failing;
    expect(bad.calls()).toBe(1);
    expect(settled.every((r) => r.status === "rejected" && (r.reason as Error).message === "down")).toBe(true);
    expect(await cache.get("c", async () => "c1")).toBe("c1"); // a failure is not cached
  });

  it.each([
    ["invalidateWhere matching nothing", (c: ExpiringCache<string, string>) => c.invalidateWhere(() => false)],
    ["invalidateAll()", (c: ExpiringCache<string, string>) => c.invalidateAll()],
  ])("a load that began before %s answers its caller but is not cached", async (_name, invalidate) => {
    const cache = new ExpiringCache<string, string>({ ttlMs: 100, maxSize: 10 });
    const slow = gatedLoad<string>();
    const pending = cache.get("a", slow.load);
    invalidate(cache);
    slow.release("old");
    expect(await pending).toBe("old");
    expect(await cache.get("a", async () => "new")).toBe("new");
    expect(await cache.get("a", async () => "newer")).toBe("new"); // loads after it cache again
  });

  it("delete drops an entry without stopping a load in flight from caching", async () => {
    const { cache, get, loads } = counting();
    await get("a");
    cache.delete("a");
    await get("a");
    expect(loads("a")).toBe(2);

    const slow = gatedLoad<string>();
    const pending = cache.get("b", slow.load);
    cache.delete("b");
    slow.release("b1");
    await pending;
    expect(await cache.get("b", async () => "b2")).toBe("b1");
  });

  it("invalidateWhere drops the matching entries only; fresh() yields the entries not expired", async () => {
    const { cache, get, loads } = counting();
    await get("a");
    await get("b");
    clock += 50;
    await get("c");
    cache.invalidateWhere((v) => v === "b#1");
    expect([...cache.fresh()].sort()).toEqual(["a#1", "c#1"]);
    clock += 50; // a has expired, c has not
    expect([...cache.fresh()]).toEqual(["c#1"]);
    await get("b");
    expect(loads("b")).toBe(2);
  });

  it("with staleOnError, a failed load answers the expired entry without storing it", async () => {
    const cache = new ExpiringCache<string, string>({ ttlMs: 100, maxSize: 10, staleOnError: true });
    const down = () => Promise.reject(new Error("down"));
    await expect(cache.get("a", down)).rejects.toThrow("down"); // nothing known: the error
    await cache.get("a", async () => "a1");
    clock += 100;
    expect(await cache.get("a", down)).toBe("a1");
    expect(await cache.get("a", async () => "a2")).toBe("a2"); // the stale answer was not stored
    cache.invalidateAll();
    await expect(cache.get("a", down)).rejects.toThrow("down"); // an invalidated entry is not served

    const strict = new ExpiringCache<string, string>({ ttlMs: 100, maxSize: 10 });
    await strict.get("a", async () => "a1");
    clock += 100;
    await expect(strict.get("a", down)).rejects.toThrow("down");
  });
});
