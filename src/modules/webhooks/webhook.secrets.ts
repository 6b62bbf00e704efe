import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** A new signing secret: 32 random bytes, shown to the party once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/**
 * Signing secrets at rest. The worker must sign with them, so they are stored recoverable:
 * with HUB_WEBHOOK_SECRET_KEY set, encrypted (AES-256-GCM under sha256 of that key, as
 * `enc1:<iv>.<tag>.<data>`); without it, as they are (`plain:<secret>`), like the rest of
 * the database's contents. A secret sealed under a key can be opened only with that key;
 * a plain one is read whether a key is set or not (set a key later: new and updated
 * endpoints are encrypted).
 */
export class SecretBox {
  private readonly key: Buffer | null;

  constructor(keyMaterial: string | undefined) {
    this.key = keyMaterial ? createHash("sha256").update(`luxor-hub webhook secrets\n${keyMaterial}`).digest() : null;
  }

  seal(secret: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return `enc1:${[iv, cipher.getAuthTag(), data].map((b) => b.toString("base64url")).join(".")}`;
  }

  /** The secret; throws with a reason fit for the delivery log when it cannot be read. */
  open(sealed: string): string {
    if (sealed.startsWith("plain:")) return sealed.slice("plain:".length);
    if (!sealed.startsWith("enc1:")) throw new Error("the endpoint's secret is stored in an unknown form");
    if (!this.key) throw new Error("the endpoint's secret is encrypted and HUB_WEBHOOK_SECRET_KEY is not set");
    const [iv, tag, data] = sealed.slice("enc1:".length).split(".").map((s) => Buffer.from(s, "base64url"));
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
    } catch {
      throw new Error("the endpoint's secret cannot be decrypted with this HUB_WEBHOOK_SECRET_KEY");
    }
  }
}
