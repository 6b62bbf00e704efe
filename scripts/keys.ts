// npm run keys -- list | create | revoke: API keys, straight on the database (DATABASE_URL,
// else the embedded store in HUB_DATA_DIR), for an operator who has lost every key.
// It acts as the operator through the same services as the API (authority checks, write
// audit), so what it does is recorded like a `createApiKey` / `revokeApiKey` call.
// The embedded store takes one process: stop the hub first (or use the API with a key).
import "reflect-metadata";
import { ConfigError, loadConfig } from "../src/config";
import { createHub, type Hub } from "../src/hub";
import { createLogger } from "../src/infra/logger";
import { createPrismaClient } from "../src/infra/prisma";
import { createHubPubSub } from "../src/infra/pubsub";
import { migrate, openStorage } from "../src/infra/storage";
import { createContext, type HubContext } from "../src/context/context";
import { Role } from "../src/generated/prisma/enums";

const ROLES = Object.values(Role);

const USAGE = `usage: npm run keys -- <command>
  list [--party <id or name>]             keys of every party (or one): id, party, role, label, created, last used, revoked
  create --role <role> [--party <id or name>] [--label <text>]
                                          a new key; the secret is printed once. Without --party: the operator's
                                          party (role OPERATOR). Roles: ${ROLES.join(", ")}
  revoke <key id or prefix>               revokes a key at once (on a hub running on the same PostgreSQL: within 5 s)
Reads DATABASE_URL, else the embedded store in HUB_DATA_DIR (stop the hub first: one process at a time).`;

interface Args {
  command: string;
  rest: string[];
  flags: Map<string, string>;
}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      rest.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split("=", 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  const command = rest.shift() ?? "";
  return { command, rest, flags };
}

class UsageError extends Error {}

async function findParty(hub: Hub, ctx: HubContext, ref: string) {
  const all = await hub.services.parties.list(ctx);
  const matches = all.filter((p) => p.id === ref || p.name.toLowerCase() === ref.toLowerCase());
  if (matches.length === 1) return matches[0];
  const partial = all.filter((p) => p.name.toLowerCase().includes(ref.toLowerCase()));
  if (!matches.length && partial.length === 1) return partial[0];
  const candidates = (matches.length ? matches : partial).map((p) => `  ${p.id}  ${p.kind.padEnd(8)} ${p.name}`);
  throw new UsageError(candidates.length ? `"${ref}" names several parties; use an id:\n${candidates.join("\n")}` : `no party "${ref}" (npm run keys -- list shows them)`);
}

const day = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 16) : "-");

async function list(hub: Hub, ctx: HubContext, flags: Map<string, string>): Promise<void> {
  const partyRef = flags.get("party");
  const party = partyRef ? await findParty(hub, ctx, partyRef) : null;
  const parties = new Map((await hub.services.parties.list(ctx)).map((p) => [p.id, p.name]));
  const keys = party ? await hub.services.parties.listApiKeys(ctx, party.id) : await hub.services.parties.repo.keysOf(null);
  const rows = [["id", "party", "role", "label", "prefix", "created", "last used", "revoked"]];
  for (const k of keys) rows.push([k.id, parties.get(k.partyId) ?? k.partyId, k.role, k.label, k.prefix, day(k.createdAt), day(k.lastUsedAt), day(k.revokedAt)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  console.log(`${keys.length} key(s)`);
}

async function create(hub: Hub, ctx: HubContext, flags: Map<string, string>): Promise<void> {
  const role = (flags.get("role") ?? "").toUpperCase();
  if (!(ROLES as string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  const partyId = flags.has("party") ? (await findParty(hub, ctx, flags.get("party")!)).id : ctx.principal!.partyId;
  const label = flags.get("label") ?? `created with npm run keys, ${new Date().toISOString().slice(0, 10)}`;
  const { key, secret } = await hub.services.parties.createApiKey(ctx, { partyId, role: role as Role, label });
  console.log(`key ${key.id} (${key.role}, "${key.label}"); shown once, send as 'Authorization: Bearer <key>':`);
  console.log(secret);
}

async function revoke(hub: Hub, ctx: HubContext, ref: string | undefined): Promise<void> {
  if (!ref) throw new UsageError("revoke needs a key id or prefix (npm run keys -- list shows them)");
  const keys = await hub.services.parties.repo.keysOf(null);
  const matches = keys.filter((k) => k.id === ref || k.prefix === ref || (ref.length >= 6 && k.id.startsWith(ref)));
  if (matches.length !== 1) throw new UsageError(matches.length ? `"${ref}" matches ${matches.length} keys; use the full id` : `no key "${ref}"`);
  const key = await hub.services.parties.revokeApiKey(ctx, matches[0].id);
  console.log(`revoked ${key.id} (${key.role}, "${key.label}") at ${key.revokedAt?.toISOString()}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!["list", "create", "revoke"].includes(args.command)) throw new UsageError(args.command ? `unknown command "${args.command}"` : "a command is needed");
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);
  const { url, embedded } = await openStorage(config, log);
  const prisma = createPrismaClient(url, { embedded: embedded !== null, poolSize: 2 });
  const events = createHubPubSub(undefined);
  const hub = createHub(config, prisma, log, events);
  try {
    await migrate(url, log);
    const operatorId = await hub.services.parties.ensureOperatorParty();
    // The operator, as with HUB_ADMIN_TOKEN: the same authority rules and write audit as the API.
    const ctx = createContext(hub, { partyId: operatorId, partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null });
    if (args.command === "list") await list(hub, ctx, args.flags);
    else if (args.command === "create") await create(hub, ctx, args.flags);
    else await revoke(hub, ctx, args.rest[0]);
  } finally {
    hub.dbHealth.stop();
    await hub.accessLog.close();
    await events.close();
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) console.error(`${err.message}\n\n${USAGE}`);
  else console.error(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
});
