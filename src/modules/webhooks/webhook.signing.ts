import { createHmac, timingSafeEqual } from "node:crypto";

/*
 * Webhook signatures, verifiable like the well-known payment and code-hosting webhooks:
 *
 *   Luxor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>
 *
 * A receiver recomputes the HMAC over the raw body bytes it received, compares in constant
 * time, and refuses a timestamp too far from its clock (replayed captures). Several v1
 * values may appear (while a secret is rotated); one matching is enough.
 */

export const SIGNATURE_HEADER = "Luxor-Signature";
export const DELIVERY_HEADER = "Luxor-Delivery-Id";
export const EVENT_ID_HEADER = "Luxor-Event-Id";
export const EVENT_TYPE_HEADER = "Luxor-Event-Type";
export const ATTEMPT_HEADER = "Luxor-Delivery-Attempt";

/** The default tolerance between the signature's timestamp and the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

/** The Luxor-Signature header value for `body`, signed at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, body: string | Buffer, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export type Verification = { ok: true; timestamp: number } | { ok: false; reason: string };

/** Checks a Luxor-Signature header against the raw body; never throws. */
export function verifySignature(
  secret: string,
  header: string | undefined | null,
  body: string | Buffer,
  opts: { toleranceSeconds?: number; now?: number } = {},
): Verification {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && /^\d{1,12}$/.test(value ?? "")) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value ?? "")) signatures.push(value);
  }
  if (timestamp === null) return { ok: false, reason: "no timestamp (t=) in the signature header" };
  if (!signatures.length) return { ok: false, reason: "no v1 signature in the signature header" };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `timestamp ${timestamp} is more than ${tolerance} s from now` };
  const expected = Buffer.from(hmac(secret, timestamp, body), "hex");
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, "hex"), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: "signature does not match (wrong secret, or the body was changed)" };
}
