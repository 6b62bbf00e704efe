import type { PrismaClient } from "../generated/prisma/client";
import type { Principal } from "../authz/principal";
import { ServiceUnavailableError, UnauthenticatedError } from "../shared/errors";
import { isDatabaseDown } from "../infra/db-health";
import { hashSecret, sameSecret } from "./api-keys";
import { ApiKeyStatusRepository } from "./api-key-status";
import { ExpiringCache } from "../shared/expiring-cache";

const CACHE_TTL_MS = 5_000;
/** lastUsedAt is written at most this often per key (it is shown to the key's party, not used for decisions). */
const LAST_USED_PRECISION_MS = 60_000;

/**
 * Turns an Authorization header value into a principal. No header: anonymous (null), so
 * public endpoints work; a header with a wrong or revoked key: UNAUTHENTICATED.
 * Lookups are cached for a few seconds so hot read paths do not pay a query per request;
 * a revocation is immediate on this instance (forget) and, where a server runs
 * watchRevocations, within its period on others; otherwise within CACHE_TTL_MS.
 */
export class Authenticator {
  /**
   * Principals by secret hash. One lookup per key at a time, shared by the requests that miss
   * the cache meanwhile; a lookup that began before a revocation does not cache its answer.
   */
  private readonly cache = new ExpiringCache<string, Principal>({ ttlMs: CACHE_TTL_MS, maxSize: 10_000 });
  private readonly revocationListeners = new Set<(apiKeyId: string) => void>();
  private readonly keys: ApiKeyStatusRepository;

  constructor(
    prisma: PrismaClient,
    private readonly adminToken: string | undefined,
    private readonly operatorPartyId: () => string,
    /** told when the key lookup fails because the database is down (logged once by the hub) */
    private readonly onDatabaseDown: (err: unknown) => void = () => undefined,
  ) {
    this.keys = new ApiKeyStatusRepository(prisma);
  }

  async authenticate(header: string | undefined | null): Promise<Principal | null> {
    if (header == null || header === "") return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new UnauthenticatedError("Authorization must be `Bearer <api key>`");
    const secret = match[1];
    if (this.adminToken && sameSecret(secret, this.adminToken)) {
      return { partyId: this.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
    }
    const hash = hashSecret(secret);
    return this.cache.get(hash, () => this.lookup(hash));
  }

  /** The key's principal from the store (the cache keeps it for CACHE_TTL_MS). */
  private async lookup(hash: string): Promise<Principal> {
    const key = await this.keys.findBySecretHash(hash).catch((err: unknown) => {
      if (!isDatabaseDown(err)) throw err;
      this.onDatabaseDown(err);
      // HTTP 503 with Retry-After (server.ts), not 500: the key may well be good
      throw new ServiceUnavailableError("The hub cannot check API keys right now (its database is unreachable); retry shortly");
    });
    if (!key || key.revokedAt) {
      this.cache.delete(hash); // its expired entry, if any: no use keeping it
      throw new UnauthenticatedError("The API key is unknown or revoked");
    }
    const principal: Principal = {
      partyId: key.partyId,
      partyKind: key.party.kind,
      country: key.party.country,
      role: key.role,
      apiKeyId: key.id,
    };
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
      void this.keys.touch(key.id, new Date(now)).catch(() => undefined); // bookkeeping: never fails a request
    }
    return principal;
  }

  /** A key was revoked: it authenticates nothing more, and whatever it holds open is told. */
  forget(apiKeyId: string): void {
    this.cache.invalidateWhere((principal) => principal.apiKeyId === apiKeyId); // also stops lookups in flight caching it
    for (const listener of this.revocationListeners) listener(apiKeyId);
  }

  /** Called (synchronously) with the id of every key found revoked; returns the unsubscribe. */
  onRevoked(listener: (apiKeyId: string) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  /**
   * Asks the store, in one statement, which of these keys and of those cached here were
   * revoked (e.g. on another instance) and forgets them. Returns their ids.
   */
  async checkRevoked(apiKeyIds: Iterable<string>): Promise<string[]> {
    const ids = new Set(apiKeyIds);
    for (const principal of this.cache.fresh()) if (principal.apiKeyId) ids.add(principal.apiKeyId);
    if (!ids.size) return [];
    const revoked = await this.keys.invalidAmong([...ids]);
    for (const id of revoked) this.forget(id);
    return revoked;
  }
}

/** Close code for a connection whose key was revoked (graphql-ws's Forbidden). */
export const REVOKED_CLOSE_CODE = 4403;

/**
 * Open connections (WebSockets) by the key that opened them: closed as soon as the key is
 * revoked here (Authenticator.forget); for revocations on other instances, once started, a
 * check every `periodMs` of their keys and of the keys cached by the authenticator, in one
 * statement (Authenticator.checkRevoked), closes them and stops HTTP with those keys too.
 */
export class KeyedConnections {
  private readonly byKey = new Map<string, Set<(reason: string) => void>>();
  private readonly unsubscribe: () => void;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly periodMs: number,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.unsubscribe = authenticator.onRevoked((id) => this.closeAll(id));
  }

  /** Tracks a connection of `apiKeyId`; `close` ends it. Returns the untrack function. */
  add(apiKeyId: string, close: (reason: string) => void): () => void {
    let set = this.byKey.get(apiKeyId);
    if (!set) this.byKey.set(apiKeyId, (set = new Set()));
    set.add(close);
    return () => {
      set!.delete(close);
      if (!set!.size && this.byKey.get(apiKeyId) === set) this.byKey.delete(apiKeyId);
    };
  }

  get size(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }

  private closeAll(apiKeyId: string): void {
    const set = this.byKey.get(apiKeyId);
    if (!set) return;
    this.byKey.delete(apiKeyId);
    for (const close of set) close("The API key was revoked");
  }

  /** Starts the periodic check (the server does; a test hub without one needs none). */
  start(): void {
    this.timer ??= setInterval(() => void this.check(), this.periodMs).unref();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.authenticator.checkRevoked(this.byKey.keys());
    } catch (err) {
      this.onError(err); // the store is down: the next period tries again
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe();
  }
}
