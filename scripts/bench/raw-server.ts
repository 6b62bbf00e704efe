// The baseline for clearanceStatus: node:http + pg, nothing else. It answers the same JSON
// POST as the hub (`{"variables":{"tn":...}}`) with the same JSON shape, for one fixed
// carrier, with the hub's visibility condition for a carrier reading STATUS data
// (carrier_id = $party) and the hub's choice of row (the carrier's live declaration, else
// its latest final one) and open hold kinds.
// No authentication, rate limit, GraphQL, policy or access log: the floor to compare with.
// With `prepared`, the statement is a named (prepared) one, as the hub's own lookup is:
// PostgreSQL then plans it once per connection instead of on every call.
import http from "node:http";
import { Pool } from "pg";

export interface RawServer {
  url: string;
  close(): Promise<void>;
}

export const RAW_SQL = `
  SELECT d."id", d."status"::text AS "status", d."updatedAt" AT TIME ZONE 'UTC' AS "updatedAt",
         ARRAY(SELECT DISTINCT h."kind"::text FROM "Hold" h
               WHERE h."declarationId" = d."id" AND h."status" = 'OPEN') AS "openHoldKinds"
  FROM "Declaration" d
  WHERE d."trackingNumber" = $1 AND d."carrierId" = $2::uuid
  ORDER BY (d."status" NOT IN ('DELIVERED', 'RETURNED', 'SEIZED')) DESC, d."filedAt" DESC
  LIMIT 1`;

export async function startRawServer(databaseUrl: string, carrierId: string, poolSize = 10, prepared = false): Promise<RawServer> {
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize });

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json) });
    res.end(json);
  };

  const server = http.createServer((req, res) => {
    if (req.method !== "POST") return send(res, 405, { errors: [{ message: "POST only" }] });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let tn: string;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        tn = String(body?.variables?.tn ?? "").trim().toUpperCase();
      } catch {
        return send(res, 400, { errors: [{ message: "Request body is not valid JSON" }] });
      }
      const query = { name: prepared ? "raw_clearance" : undefined, text: RAW_SQL, values: [tn, carrierId] };
      pool.query<{ id: string; status: string; updatedAt: Date; openHoldKinds: string[] }>(query).then(
        (r) => {
          const row = r.rows[0];
          if (!row) return send(res, 200, { errors: [{ message: "Parcel not found", extensions: { code: "NOT_FOUND" } }], data: null });
          send(res, 200, {
            data: {
              clearanceStatus: {
                trackingNumber: tn,
                id: row.id,
                status: row.status,
                onHold: row.openHoldKinds.length > 0,
                openHoldKinds: row.openHoldKinds,
                updatedAt: row.updatedAt.toISOString(),
              },
            },
          });
        },
        () => send(res, 500, { errors: [{ message: "Internal error" }] }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
