/** The dashboard's calls to the hub's GraphQL endpoint, with the key of this tab. */

const KEY_ITEM = "luxor-hub.dashboard.key";

/** The key lives in sessionStorage: this tab only, gone when it closes. */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_ITEM),
  remember: (key: string) => sessionStorage.setItem(KEY_ITEM, key),
  forget: () => sessionStorage.removeItem(KEY_ITEM),
};

export class HubError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const key = session.key();
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
  const error = body?.errors?.[0];
  if (error) throw new HubError(error.message, error.extensions?.code);
  if (!res.ok || !body?.data) throw new HubError(`The hub answered HTTP ${res.status}`, undefined);
  return body.data;
}

export interface Viewer {
  role: string;
  party: { id: string; name: string; kind: string; country: string };
}

export const whoAmI = () => graphql<{ me: Viewer }>("query DashboardMe { me { role party { id name kind country } } }").then((d) => d.me);

/** Platform names for labels and the platform filters (the directory is readable by every party). */
export const platforms = () =>
  graphql<{ parties: { id: string; name: string }[] }>("query DashboardPlatforms { parties(filter: { kind: PLATFORM }) { id name } }").then((d) => d.parties);

export type Dimension = "DESTINATION" | "ORIGIN" | "PLATFORM" | "MONTH";

export interface StatsGroup {
  key: { destination: string | null; origin: string | null; platformId: string | null; period: string | null };
  count: number;
  valueCount: number;
  totalValue: string | null;
  holdRate: number;
  alertRates: { severity: string; rate: number }[];
  dutiesAssessed: string | null;
  releasedCount: number;
  clearanceHoursMedian: number | null;
  clearanceHoursP90: number | null;
}

export interface Stats {
  referenceCurrency: string;
  minGroupSize: number;
  suppressedGroups: number;
  groups: StatsGroup[];
}

const STATS = `query DashboardStats($groupBy: [StatsGroupKey!]!, $where: DeclarationWhere, $limit: Int!) {
  declarationStats(groupBy: $groupBy, where: $where, limit: $limit) {
    referenceCurrency minGroupSize suppressedGroups
    groups {
      key { destination origin platformId period }
      count valueCount totalValue holdRate alertRates { severity rate } dutiesAssessed
      releasedCount clearanceHoursMedian clearanceHoursP90
    }
  }
}`;

/** What a chart's filter form holds. */
export interface ChartFilter {
  by: Dimension;
  destinations: string[];
  origins: string[];
  platformId: string;
  /** YYYY-MM, inclusive; "" for open */
  fromMonth: string;
  toMonth: string;
}

/** The filter as declarationStats' `where` (the same filter language as `declarations`). */
export function whereOf(f: ChartFilter): Record<string, unknown> | null {
  const and: Record<string, unknown>[] = [];
  if (f.destinations.length) and.push({ destinationCountry: { in: f.destinations } });
  if (f.origins.length) and.push({ originCountry: { in: f.origins } });
  if (f.platformId) and.push({ platformId: { eq: f.platformId } });
  const filedAt: Record<string, string> = {};
  if (f.fromMonth) filedAt.gte = `${f.fromMonth}-01T00:00:00Z`;
  if (f.toMonth) {
    const [y, m] = f.toMonth.split("-").map(Number);
    filedAt.lt = new Date(Date.UTC(y, m, 1)).toISOString(); // the first day after that month
  }
  if (Object.keys(filedAt).length) and.push({ filedAt });
  return and.length ? { AND: and } : null;
}

export async function stats(f: ChartFilter): Promise<Stats> {
  // months come back largest first: ask for all of them, the chart keeps the latest in time order
  const limit = f.by === "MONTH" ? 1000 : 20;
  const data = await graphql<{ declarationStats: Stats }>(STATS, { groupBy: [f.by], where: whereOf(f), limit });
  return data.declarationStats;
}
