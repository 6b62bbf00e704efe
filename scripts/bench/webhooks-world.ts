// The webhooks section's world (scripts/bench/webhooks.ts): the events world
// (events-world.ts) with this section's agreements, one endpoint per party (different event
// types, some with a destination filter), the down group, and the customs officers who write.
import type { Hub } from "../../src/hub";
import type { Role } from "../../src/generated/prisma/enums";
import type { ClientProcess } from "./child";
import { blockedAgreements, buildEventsWorld, DESTINATIONS, tradeAgreements, type HoldTarget, type WorldParty } from "./events-world";
import { nowMs } from "./util";
import type { ReceiversCommand } from "./webhook-receivers";

export type EndpointType = "HOLD_PLACED" | "DECLARATION_STATUS_CHANGED";

export interface Endpoint {
  index: number;
  party: WorldParty;
  role: Role;
  /** the key that registers it (and whose role it hears with) */
  key: string;
  eventTypes: EndpointType[];
  destinations: string[];
  down: boolean;
  id?: string;
  secret?: string;
}

export interface WebhooksWorld {
  parties: WorldParty[];
  endpoints: Endpoint[];
  writersOf: Map<string, string[]>;
  targets: HoldTarget[];
}

/** The receivers that refuse connections for a while: named parties, so the group is the same each run. */
const DOWN_GROUP = [
  "Generalzolldirektion (DE)",
  "Shopverse Marketplace",
  "DragonMall Global",
  "SwiftAir Express",
  "Jade Dragon Express",
  "China Post",
  "Bench broker 001",
  "Bench platform 041",
  "Bench carrier 011",
  "Bench post 001",
];

export async function webhooksWorld(declarations: number, url: string, hub: Hub): Promise<WebhooksWorld> {
  const { parties, targets } = await buildEventsWorld(
    {
      declarations,
      extra: { PLATFORM: 70, CARRIER: 45, POST: 20, BROKER: 30 },
      seed: 8_0808,
      purpose: "Bench: hearing of events by webhook",
      customsNote: "two of each of the six destinations, six of other countries",
      hear: (a) => {
        tradeAgreements(a);
        const { named, bench, agree } = a;
        agree(named("Generalzolldirektion (DE)"), bench("BROKER")[20], ["STATUS"]);
        agree(named("Bench customs office FR"), named("Bench customs IT"), ["STATUS"]);
        agree(named("Bench customs office DE"), bench("BROKER")[0], ["STATUS", "RISK"]);
      },
      mustNot: (a) => {
        blockedAgreements(a, 22);
        a.agree(a.named("Bench customs office GB"), a.named("Bench customs ES"), ["TRANSPORT", "RISK"]);
      },
    },
    url,
    hub,
  );
  return { parties, endpoints: await endpointsOf(parties, hub), writersOf: await writers(parties, hub), targets };
}

/** One endpoint per party, with the party's key (customs OFFICER and ANALYST in turn, the others AGENT); types and filters differ. */
async function endpointsOf(parties: WorldParty[], hub: Hub): Promise<Endpoint[]> {
  const endpoints: Endpoint[] = [];
  let customsSeen = 0;
  for (const p of parties) {
    const i = p.index;
    const role: Role = p.kind === "CUSTOMS" ? (customsSeen++ % 2 === 0 ? "OFFICER" : "ANALYST") : "AGENT";
    const both: EndpointType[] = ["HOLD_PLACED", "DECLARATION_STATUS_CHANGED"];
    let eventTypes = both;
    if (p.kind === "PLATFORM" && i % 4 === 1) eventTypes = ["HOLD_PLACED"];
    if ((p.kind === "CARRIER" || p.kind === "POST") && i % 3 === 2) eventTypes = ["DECLARATION_STATUS_CHANGED"];
    const destinations = p.kind !== "CUSTOMS" && i % 7 === 3 ? ["DE", "FR"] : [];
    const key = await hub.services.parties.issueKey(p.id, role, "bench webhooks: endpoint");
    endpoints.push({ index: endpoints.length, party: p, role, key, eventTypes, destinations, down: DOWN_GROUP.includes(p.name) });
  }
  const missing = DOWN_GROUP.filter((n) => !endpoints.some((e) => e.down && e.party.name === n));
  if (missing.length) throw new Error(`the down group names parties that do not exist: ${missing.join(", ")}`);
  return endpoints;
}

/** The writers: an officer key of each of the two customs of each destination. */
async function writers(parties: WorldParty[], hub: Hub): Promise<Map<string, string[]>> {
  const writersOf = new Map<string, string[]>();
  for (const c of DESTINATIONS) {
    const offices = parties.filter((p) => p.kind === "CUSTOMS" && p.country === c);
    if (offices.length !== 2) throw new Error(`expected two customs of ${c}, found ${offices.length}`);
    writersOf.set(c, await Promise.all(offices.map((p) => hub.services.parties.issueKey(p.id, "OFFICER", "bench webhooks: writer"))));
  }
  return writersOf;
}

const REGISTER = `mutation Register($input: RegisterWebhookInput!) { registerWebhook(input: $input) { secret endpoint { id url eventTypes filter { destinationCountries } } } }`;

/**
 * The endpoints registered through the API with each party's key, on the receivers' ports
 * (registration checks the URL, it sends nothing); the receivers learn the secrets. Returns the ms it took.
 */
export async function registerEndpoints(endpoints: Endpoint[], ports: number[], apiUrl: string, rx: ClientProcess): Promise<number> {
  const r0 = nowMs();
  for (const ep of endpoints) {
    const input = {
      url: `http://127.0.0.1:${ports[ep.index]}/luxor/${ep.index}`,
      eventTypes: ep.eventTypes,
      description: `${ep.party.name} (${ep.role})`,
      ...(ep.destinations.length ? { filter: { destinationCountries: ep.destinations } } : {}),
    };
    const res = await fetch(apiUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ep.key}` },
      body: JSON.stringify({ query: REGISTER, variables: { input } }),
    });
    const body = (await res.json()) as { data?: { registerWebhook?: { secret: string; endpoint: { id: string } } }; errors?: { message: string }[] };
    const reg = body.data?.registerWebhook;
    if (!reg) throw new Error(`registering ${ep.party.name}'s endpoint failed: ${body.errors?.[0]?.message ?? res.status}`);
    ep.id = reg.endpoint.id;
    ep.secret = reg.secret;
  }
  const ms = nowMs() - r0;
  await rx.ask({ cmd: "secrets", secrets: endpoints.map((e) => e.secret!) } satisfies ReceiversCommand);
  return ms;
}
