/** A count stopped at a limit: `total` is exact when `exact`, else the limit (at least that many match). */
export interface BoundedCount {
  total: number;
  exact: boolean;
}

/** The count of a page, run at most once (totalCount and totalCountIsExact share it). */
export function countOnce(run: () => Promise<BoundedCount>): () => Promise<BoundedCount> {
  let pending: Promise<BoundedCount> | undefined;
  return () => (pending ??= run());
}

/** `n` rows read with a LIMIT of `limit + 1`: the count as far as it goes. */
export function boundedCount(n: number, limit: number): BoundedCount {
  return { total: Math.min(n, limit), exact: n <= limit };
}
