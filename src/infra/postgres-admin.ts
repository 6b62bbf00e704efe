import { Client } from "pg";

/** One statement on its own short-lived connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A database URL fit for logs: no password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

/** What to check, for an error met while connecting to DATABASE_URL. */
export function explainConnectError(url: string, err: unknown, connectMs: number): string {
  const u = new URL(url);
  const at = `${u.hostname}:${u.port || 5432}`;
  const user = decodeURIComponent(u.username) || process.env.USER || "(default)";
  const database = decodeURIComponent(u.pathname.slice(1)) || user;
  const e = err as { code?: string; message?: string };
  const msg = String(e?.message ?? err);
  const hint = (() => {
    switch (e?.code) {
      case "28P01":
        return `PostgreSQL at ${at} refused the password of user "${user}": check the user and password in DATABASE_URL`;
      case "28000":
        return `PostgreSQL at ${at} does not let user "${user}" in (${msg}): check the user in DATABASE_URL and the server's pg_hba.conf`;
      case "3D000":
        return `PostgreSQL at ${at} has no database "${database}": create it (createdb -h ${u.hostname} -U ${user} ${database}) or fix the database name in DATABASE_URL`;
      case "ECONNREFUSED":
        return `nothing accepts connections at ${at}: is PostgreSQL running there? check the host and port in DATABASE_URL`;
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return `the host "${u.hostname}" does not resolve: check the host in DATABASE_URL`;
      case "EHOSTUNREACH":
      case "ENETUNREACH":
        return `${at} cannot be reached from here: check the host in DATABASE_URL and the network`;
    }
    if (/timeout/i.test(msg)) return `no answer from ${at} within ${connectMs} ms (HUB_DB_CONNECT_TIMEOUT_MS): check the host, port and firewall`;
    if (/SSL|TLS/i.test(msg)) return `TLS with ${at} failed (${msg}): check sslmode in DATABASE_URL`;
    return `cannot use PostgreSQL at ${at}: ${msg}`;
  })();
  return `Database: ${hint} (DATABASE_URL=${redactUrl(url)})`;
}

/** Connects once and runs SELECT 1, or throws an Error saying what to check. */
export async function checkDatabase(url: string, connectMs: number): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: connectMs });
  client.on("error", () => undefined); // reported through connect/query below
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw Object.assign(new Error(explainConnectError(url, err, connectMs)), { code: "HUB_DB_CHECK" });
  } finally {
    await client.end().catch(() => undefined);
  }
}
