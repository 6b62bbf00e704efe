import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Prisma, PrismaClient } from "../../generated/prisma/client";
import { requirePrincipal, type HubContext } from "../../context/context";
import type { Principal } from "../../authz/principal";
import { BadUserInputError, ConflictError } from "../../shared/errors";
import { isUniqueViolation, WritesRepository, type AuditRow, type FieldChange, type OutboxEvent, type Tx } from "./writes.repository";

export type { Tx, FieldChange };

/** What a write keeps for a replay of its idempotency key: JSON, usually record ids. */
export type Kept = Prisma.InputJsonValue;

export interface WriteSpec<T> {
  /** the mutation, e.g. "placeHold"; a key reused for another operation is a CONFLICT */
  operation: string;
  idempotencyKey?: string | null;
  /** the request's arguments: a replay must carry the same */
  request: unknown;
  keep(result: T): Kept;
  /** the first result again, from what was kept */
  replay(kept: Kept): Promise<T>;
}

export interface AuditNote {
  operation?: string;
  recordType: string;
  recordId: string;
  declarationId?: string | null;
  /** whose data the record is (decides who may read the entry) */
  holderId?: string | null;
  changes: Record<string, FieldChange>;
}

const KEY_FORMAT = /^[\x21-\x7e]{1,200}$/;

/**
 * One write as it happens: the audit entries it makes, and its idempotency key. Its
 * transaction commits the change, the entries and the key's record together, so a write
 * is never applied without its trail and a retried write never applies twice.
 */
export class WriteJournal<T> {
  private readonly entries: AuditRow[] = [];
  private readonly events: OutboxEvent[] = [];

  constructor(
    private readonly repo: WritesRepository,
    readonly actor: Principal,
    private readonly spec: WriteSpec<T>,
    private readonly idempotency: { key: string; requestHash: string } | null,
    private readonly committed: () => void = () => {},
  ) {}

  /** An event for subscribers and partners, stored in the outbox with the write. */
  emit(type: string, declarationId: string | null, payload: Record<string, unknown>, at = new Date()): void {
    this.events.push({ type, declarationId, payload, at });
  }

  record(note: AuditNote, at = new Date()): void {
    this.entries.push({
      actorPartyId: this.actor.partyId,
      apiKeyId: this.actor.apiKeyId,
      operation: note.operation ?? this.spec.operation,
      recordType: note.recordType,
      recordId: note.recordId,
      declarationId: note.declarationId ?? null,
      holderId: note.holderId ?? null,
      changes: note.changes,
      idempotencyKey: this.idempotency?.key ?? null,
      at,
    });
  }

  /** Runs `work` in a transaction that also stores the journal. */
  async transaction(work: (tx: Tx) => Promise<T>): Promise<T> {
    const result = await this.repo.transaction(work, (tx, result) => this.seal(tx, result));
    if (this.hadEvents) this.committed(); // wake the event feeds: there is something new
    return result;
  }

  private hadEvents = false;

  /** Writes within `tx` what was recorded so far, and the idempotency record of `result`. */
  async seal(tx: Tx, result: T): Promise<void> {
    await this.repo.insertAudit(tx, this.entries.splice(0));
    const events = this.events.splice(0);
    this.hadEvents = events.length > 0;
    await this.repo.appendEvents(tx, events);
    if (this.idempotency) {
      await this.repo.insertIdempotency(tx, {
        partyId: this.actor.partyId,
        key: this.idempotency.key,
        operation: this.spec.operation,
        requestHash: this.idempotency.requestHash,
        result: this.spec.keep(result),
      });
    }
  }

  /**
   * For a write that is idempotent by itself (filing, on the filer's local reference) and
   * stores its own audit rows: the key's record follows the write. Lost in a crash in
   * between, the retry files again, which replays.
   */
  async afterward(result: T): Promise<void> {
    if (!this.idempotency) return;
    await this.repo.insertIdempotencyNow({
      partyId: this.actor.partyId,
      key: this.idempotency.key,
      operation: this.spec.operation,
      requestHash: this.idempotency.requestHash,
      result: this.spec.keep(result),
    });
  }

  get idempotencyKey(): string | null {
    return this.idempotency?.key ?? null;
  }
}

/** Entry point of every write: idempotency keys, then the write with its journal. */
export class WriteService {
  readonly repo: WritesRepository;

  /** `eventsCommitted` is called after a transaction that appended events commits. */
  constructor(
    prisma: PrismaClient,
    private readonly eventsCommitted: () => void = () => {},
  ) {
    this.repo = new WritesRepository(prisma);
  }

  /** Forgets idempotency records older than `hours`: a retry that late is a new request. */
  forgetIdempotencyOlderThan(hours: number): Promise<number> {
    return this.repo.forgetIdempotencyBefore(new Date(Date.now() - hours * 3_600_000));
  }

  async run<T>(ctx: HubContext, spec: WriteSpec<T>, work: (journal: WriteJournal<T>) => Promise<T>): Promise<T> {
    const actor = requirePrincipal(ctx);
    const key = spec.idempotencyKey ?? null;
    if (key === null) return work(new WriteJournal(this.repo, actor, spec, null, this.eventsCommitted));
    if (typeof key !== "string" || !KEY_FORMAT.test(key)) {
      throw BadUserInputError.at("idempotencyKey", "must be 1 to 200 printable ASCII characters without spaces");
    }
    const requestHash = hashRequest(spec.operation, spec.request);
    const earlier = await this.replayed(actor, key, requestHash, spec);
    if (earlier) return earlier.value;
    try {
      return await work(new WriteJournal(this.repo, actor, spec, { key, requestHash }, this.eventsCommitted));
    } catch (err) {
      // The same key committed concurrently: this attempt rolled back; answer as a replay.
      if (isUniqueViolation(err)) {
        const raced = await this.replayed(actor, key, requestHash, spec);
        if (raced) return raced.value;
      }
      throw err;
    }
  }

  /**
   * For a write that decides before its transaction whether it can apply at all (a state
   * machine): the first result when this key was used already, else null.
   */
  async replayOnly<T>(ctx: HubContext, spec: WriteSpec<T>): Promise<T | null> {
    const key = spec.idempotencyKey;
    if (key == null) return null;
    if (typeof key !== "string" || !KEY_FORMAT.test(key)) {
      throw BadUserInputError.at("idempotencyKey", "must be 1 to 200 printable ASCII characters without spaces");
    }
    return (await this.replayed(requirePrincipal(ctx), key, hashRequest(spec.operation, spec.request), spec))?.value ?? null;
  }

  private async replayed<T>(actor: Principal, key: string, requestHash: string, spec: WriteSpec<T>): Promise<{ value: T } | null> {
    const found = await this.repo.findIdempotency(actor.partyId, key);
    if (!found) return null;
    if (found.operation !== spec.operation || found.requestHash !== requestHash) {
      throw new ConflictError(
        `idempotencyKey "${key}" was already used for a different request (${found.operation} at ${found.createdAt.toISOString()})`,
        { idempotencyKey: key, operation: found.operation },
      );
    }
    return { value: await spec.replay(found.result as Kept) };
  }
}

/** sha256 of the operation and its arguments, with object keys sorted. */
export function hashRequest(operation: string, request: unknown): string {
  return createHash("sha256").update(operation).update("\n").update(stableJson(request)).digest("hex");
}

function stableJson(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (typeof v === "object") {
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return JSON.stringify(v);
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** A value as the audit trail stores it: decimals and dates as strings. */
export function auditValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === "object" && typeof (v as { toFixed?: unknown }).toFixed === "function") return String(v);
  return v;
}

/** The fields of `after` that differ from `before` (before null: every field is new). */
export function changesOf(before: Record<string, unknown> | null, after: Record<string, unknown>, fields?: string[]): Record<string, FieldChange> {
  const out: Record<string, FieldChange> = {};
  for (const f of fields ?? Object.keys(after)) {
    const b = before ? auditValue(before[f]) : null;
    const a = auditValue(after[f]);
    if (before === null ? a !== null : JSON.stringify(a) !== JSON.stringify(b)) out[f] = { before: b, after: a };
  }
  return out;
}

/**
 * A secret kept for a replay, readable only with the idempotency key that created it (an
 * API key's secret is otherwise never stored): AES-256-GCM under sha256(partyId, key).
 */
export function sealSecret(secret: string, partyId: string, idempotencyKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", secretKey(partyId, idempotencyKey), iv);
  const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString("base64url")).join(".");
}

export function openSecret(sealed: string, partyId: string, idempotencyKey: string): string {
  const [iv, tag, data] = sealed.split(".").map((s) => Buffer.from(s, "base64url"));
  const decipher = createDecipheriv("aes-256-gcm", secretKey(partyId, idempotencyKey), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
}

function secretKey(partyId: string, idempotencyKey: string): Buffer {
  return createHash("sha256").update(`luxor-hub idempotent secret\n${partyId}\n${idempotencyKey}`).digest();
}
