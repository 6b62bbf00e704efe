import { z } from "zod";

/** A configuration error: one line per wrong variable, each naming it and what it accepts. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(`Invalid configuration (environment variables):\n${lines.map((l) => `  ${l}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** A whole number within [min, max]; the message is the same whatever the mistake. */
export function int(min: number, max: number, def: number) {
  const allowed = `a whole number from ${min} to ${max} (default ${def})`;
  return z.coerce.number(allowed).int(allowed).min(min, allowed).max(max, allowed).default(def);
}

/** A number (decimals allowed) within [min, max]. */
export function num(min: number, max: number, def: number) {
  const allowed = `a number from ${min} to ${max} (default ${def})`;
  return z.coerce.number(allowed).min(min, allowed).max(max, allowed).default(def);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, `one of ${values.join(", ")}`);
}

/** What express.json's `limit` (the `bytes` package) reads: 2mb, 500kb, 1.5gb or plain bytes. */
export function sizeLimit() {
  return z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, "a size such as 2mb, 500kb or 1048576 (bytes)");
}

export function postgresUrl() {
  const allowed = "a postgresql:// (or postgres://) URL such as postgresql://user:password@host:5432/database; unset for the embedded database";
  return z
    .string()
    .refine((u) => {
      try {
        const url = new URL(u);
        return (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "";
      } catch {
        return false;
      }
    }, allowed);
}

const SECRET = /TOKEN|SECRET|PASSWORD/;

/** How a value is quoted in an error: secrets never, URLs without their password. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return "";
  if (SECRET.test(name)) return "=(hidden)";
  let v = value;
  try {
    const u = new URL(value);
    if (u.password) {
      u.password = "***";
      v = u.toString();
    }
  } catch {
    // not a URL: shown as it is
  }
  return `=${v.length > 80 ? `${v.slice(0, 77)}...` : v}`;
}

export function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = issue.path.join(".");
  return `${name}${shown(name, env[name])}: must be ${issue.message}`;
}
