import type { PrismaClient } from "../../generated/prisma/client";
import type { PartyKind } from "../../generated/prisma/enums";
import type { HubContext } from "../../context/context";
import { requirePrincipal } from "../../context/context";
import type { Principal } from "../../authz/principal";
import { BadUserInputError, NotFoundError } from "../../shared/errors";
import { isUuid, optionalString, positiveInt, Problems } from "../../shared/validation";
import { changesOf, type Kept, type WriteService } from "../writes";
import { RateLimitRepository, type RateLimitPolicy } from "./ratelimits.repository";
import type { SetRateLimitInput } from "./ratelimits.types";
import { ExpiringCache } from "../../shared/expiring-cache";

/** One window a party's requests are counted in (README "Rate limits"). */
export interface Quota {
  /** the policy's name in the RateLimit and RateLimit-Policy headers */
  name: "minute" | "day";
  limit: number;
  windowSeconds: number;
}

const MAX_PER_MINUTE = 100_000_000;
/** a validFrom this far in the past still counts as now (clock skew between operator and hub) */
const SKEW_MS = 60_000;

const quotasOf = (p: Pick<RateLimitPolicy, "perMinute" | "perDay">): Quota[] => [
  { name: "minute", limit: p.perMinute, windowSeconds: 60 },
  ...(p.perDay ? [{ name: "day" as const, limit: p.perDay, windowSeconds: 86_400 }] : []),
];

/**
 * Per-party limits and quotas, set by the operator as versioned data. Each instance keeps
 * a party's quotas for `cacheMs` (a change made here applies at once, one made on another
 * instance within cacheMs); while the database does not answer, the last known apply.
 */
export class RateLimitService {
  readonly repo: RateLimitRepository;
  /**
   * Quotas by party. One read per party at a time, shared by the requests that miss the cache
   * meanwhile; a read that began before a policy change here does not cache its answer; a
   * read that fails (the database is down) answers with the party's expired entry if any.
   */
  private readonly cache: ExpiringCache<string, Quota[]>;

  constructor(
    prisma: PrismaClient,
    private readonly writes: WriteService,
    cacheMs: number,
    /** used when no policy row applies at all (the migration installs one per kind) */
    private readonly fallbackPerMinute: number,
  ) {
    this.repo = new RateLimitRepository(prisma);
    // bounded: parties, not requests
    this.cache = new ExpiringCache({ ttlMs: cacheMs, maxSize: 100_000, staleOnError: true });
  }

  /** The quotas a party's requests are counted against. */
  async quotasFor(principal: Pick<Principal, "partyId" | "partyKind">): Promise<Quota[]> {
    return this.cache.get(principal.partyId, async () => {
      const row = await this.repo.inForce(principal.partyId, principal.partyKind, new Date());
      return quotasOf(row ?? { perMinute: this.fallbackPerMinute, perDay: null });
    });
  }

  /** The policy in force for a party (its own, else its kind's default). */
  async inForce(ctx: HubContext, partyId: string): Promise<RateLimitPolicy> {
    await ctx.authz.assert("rateLimit:read");
    const party = isUuid(partyId) ? await ctx.loaders.party.load(partyId) : null;
    if (!party) throw new NotFoundError("Party", partyId);
    const row = await this.repo.inForce(party.id, party.kind, new Date());
    if (!row) throw new NotFoundError("RateLimitPolicy", partyId);
    return row;
  }

  /** The policy in force for the caller's own party (me.rateLimit): the party itself and the operator may read it. */
  async own(ctx: HubContext): Promise<RateLimitPolicy> {
    const me = requirePrincipal(ctx);
    await ctx.authz.assert("rateLimit:readOwn", { limitedPartyId: me.partyId });
    const row = await this.repo.inForce(me.partyId, me.partyKind, new Date());
    if (!row) throw new NotFoundError("RateLimitPolicy", me.partyId);
    return row;
  }

  /** Policies, newest first: a party's, a kind's defaults, or (neither) the defaults in force. */
  async history(ctx: HubContext, filter: { partyId?: string | null; partyKind?: PartyKind | null }): Promise<RateLimitPolicy[]> {
    await ctx.authz.assert("rateLimit:read");
    if (filter.partyId) {
      if (!isUuid(filter.partyId)) throw new NotFoundError("Party", filter.partyId);
      return this.repo.history({ partyId: filter.partyId }, 500);
    }
    if (filter.partyKind) return this.repo.history({ partyKind: filter.partyKind, defaultsOnly: true }, 500);
    return this.repo.kindDefaults(new Date());
  }

  /** Operator: new limits for a party or a kind's default, recorded in the write audit. */
  async set(ctx: HubContext, input: SetRateLimitInput, idempotencyKey?: string | null): Promise<RateLimitPolicy> {
    const actor = requirePrincipal(ctx);
    await ctx.authz.assert("rateLimit:set");
    const data = await this.validate(ctx, input);
    const policy = await this.writes.run<RateLimitPolicy>(
      ctx,
      {
        operation: "setRateLimit",
        idempotencyKey,
        request: input,
        keep: (row) => ({ ids: [row.id] }),
        replay: async (kept) => {
          const id = (kept as { ids: string[] }).ids[0];
          const row = await this.repo.find(id);
          if (!row) throw new NotFoundError("RateLimitPolicy", id);
          return row;
        },
      },
      (journal) =>
        journal.transaction(async (tx) => {
          const row = await this.repo.insert(tx, { ...data, setById: actor.partyId });
          journal.record({
            recordType: "RateLimitPolicy",
            recordId: row.id,
            holderId: row.partyId,
            changes: changesOf(null, row, ["partyId", "partyKind", "perMinute", "perDay", "validFrom", "reason"]),
          });
          return row;
        }),
    );
    this.cache.invalidateAll(); // applies here at once (a kind's default concerns many parties)
    return policy;
  }

  private async validate(ctx: HubContext, input: SetRateLimitInput) {
    const p = new Problems();
    let partyKind: PartyKind | undefined = input.partyKind ?? undefined;
    let partyId: string | null = null;
    if (input.partyId != null && input.partyKind != null) p.add("input.partyKind", "give either partyId or partyKind, not both");
    else if (input.partyId != null) {
      const party = isUuid(input.partyId) ? await ctx.loaders.party.load(input.partyId.toLowerCase()) : null;
      if (!party) p.add("input.partyId", "no party has this id");
      else [partyId, partyKind] = [party.id, party.kind];
    } else if (input.partyKind == null) p.add("input.partyId", "give the party (partyId) or the party kind whose default this is (partyKind)");
    const perMinute = positiveInt(p, "input.perMinute", input.perMinute, MAX_PER_MINUTE);
    const perDay = input.perDay == null ? null : positiveInt(p, "input.perDay", input.perDay);
    const now = Date.now();
    const validFrom = input.validFrom ?? new Date(now);
    if (!(validFrom instanceof Date) || Number.isNaN(validFrom.getTime())) p.add("input.validFrom", "must be a date-time");
    else if (validFrom.getTime() < now - SKEW_MS) p.add("input.validFrom", "must not be in the past (a policy applies from now or later)");
    const reason = optionalString(p, "input.reason", input.reason, 500);
    p.throwIfAny();
    if (perDay != null && perDay < perMinute!) throw BadUserInputError.at("input.perDay", `must be at least perMinute (${perMinute})`);
    return { partyId, partyKind: partyKind!, perMinute: perMinute!, perDay: perDay ?? null, validFrom, reason: reason ?? null };
  }
}

export type { RateLimitPolicy, Kept };
