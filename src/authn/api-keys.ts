import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Keys are 32 random bytes; only their SHA-256 is stored. A slow hash adds nothing for
 * secrets of this entropy and would cost every request.
 */
export function newApiKeySecret(): { secret: string; prefix: string; hash: string } {
  const secret = `lux_${randomBytes(32).toString("base64url")}`;
  return { secret, prefix: secret.slice(0, 10), hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(hashSecret(a));
  const y = Buffer.from(hashSecret(b));
  return timingSafeEqual(x, y);
}
