import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";

/*
 * The guard against server-side request forgery. A webhook URL may reach only public
 * addresses: it is checked when registered and again after name resolution before every
 * delivery, and the connection is pinned to the address checked (webhook.sender.ts), so a
 * name that resolves elsewhere a second later (DNS rebinding) cannot redirect it.
 * HUB_WEBHOOK_ALLOW_HOSTS admits private deployments (and the tests' 127.0.0.1).
 */

/** How a host name becomes addresses; injected in tests (they never use real DNS). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = async (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** A URL or an address the guard refuses; the message says why, in the partner's words. */
export class SsrfRefusal extends Error {}

/** Where a delivery may go: the URL, and the one address checked, to connect to. */
export interface CheckedTarget {
  url: URL;
  /** the URL's host without IPv6 brackets */
  hostname: string;
  address: string;
  family: 4 | 6;
}

const METADATA = new Set(["169.254.169.254", "fd00:ec2::254", "100.100.100.200"]);
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

const RANGE_NAMES: Record<string, string> = {
  private: "a private address (10/8, 172.16/12, 192.168/16)",
  loopback: "a loopback address",
  linkLocal: "a link-local address",
  carrierGradeNat: "a carrier-grade NAT address (100.64/10)",
  unspecified: "an unspecified address (0.0.0.0/8, ::)",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address",
  uniqueLocal: "a unique-local address (fc00::/7)",
  rfc6145: "an IPv6 address embedding an IPv4 one",
  rfc6052: "an IPv6 address embedding an IPv4 one (NAT64)",
  "6to4": "an IPv6 address embedding an IPv4 one (6to4)",
  teredo: "an IPv6 address embedding an IPv4 one (Teredo)",
};

/**
 * Why an address may not receive webhooks, or null for a public unicast address. An
 * IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it maps.
 */
export function forbiddenReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return "not an IP address";
  const ip = ipaddr.process(address);
  const text = ip.toString();
  if (METADATA.has(text)) return "a cloud metadata address";
  const range = ip.range();
  if (range === "unicast" && (ip.kind() === "ipv4" || ip.match(GLOBAL_UNICAST_V6))) return null;
  return RANGE_NAMES[range] ?? (range === "unicast" ? "not a global unicast address" : `a special-purpose address (${range})`);
}

type AllowEntry = { host: string } | { range: [ipaddr.IPv4 | ipaddr.IPv6, number] };

/** `HUB_WEBHOOK_ALLOW_HOSTS`: comma- or space-separated host names, IP addresses and CIDR ranges. */
export function parseAllowList(spec: string): AllowEntry[] {
  return spec
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry): AllowEntry => {
      if (ipaddr.isValidCIDR(entry)) return { range: ipaddr.parseCIDR(entry) };
      if (ipaddr.isValid(entry)) {
        const ip = ipaddr.process(entry);
        return { range: [ip, ip.kind() === "ipv4" ? 32 : 128] };
      }
      if (!/^[a-z0-9.-]+$/i.test(entry)) throw new Error(`HUB_WEBHOOK_ALLOW_HOSTS: "${entry}" is neither a host name, an IP address nor a CIDR range`);
      return { host: entry.toLowerCase().replace(/\.$/, "") };
    });
}

export class SsrfGuard {
  private readonly allow: AllowEntry[];

  constructor(
    allowHosts: string,
    public resolver: Resolver = systemResolver,
    /** how long a name may take to resolve */
    private readonly resolveTimeoutMs = 5000,
  ) {
    this.allow = parseAllowList(allowHosts);
  }

  /** Is this host name listed, or this address in a listed address or range? */
  private allowed(hostOrAddress: string): boolean {
    const ip = ipaddr.isValid(hostOrAddress) ? ipaddr.process(hostOrAddress) : null;
    return this.allow.some((e) =>
      "host" in e ? !ip && e.host === hostOrAddress : !!ip && ip.kind() === e.range[0].kind() && ip.match(e.range),
    );
  }

  /** The URL's form: https (http only for allow-listed hosts), no credentials, a host. */
  parse(raw: string): { url: URL; hostname: string } {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new SsrfRefusal("must be an absolute URL, e.g. https://example.com/hooks/luxor");
    }
    if (raw.length > 2048) throw new SsrfRefusal("must be at most 2048 characters");
    const hostname = url.hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new SsrfRefusal("must be an https URL");
    if (url.protocol === "http:" && !this.allowed(hostname)) {
      throw new SsrfRefusal("must be an https URL (plain http only for hosts in HUB_WEBHOOK_ALLOW_HOSTS)");
    }
    if (url.username || url.password) throw new SsrfRefusal("must not carry a user name or password");
    if (url.hash) throw new SsrfRefusal("must not have a fragment (#...)");
    if (!hostname) throw new SsrfRefusal("must name a host");
    if (!net.isIP(hostname) && (hostname === "localhost" || hostname.endsWith(".localhost")) && !this.allowed(hostname)) {
      throw new SsrfRefusal(`host ${hostname} is this machine (loopback): only public addresses may receive webhooks`);
    }
    return { url, hostname };
  }

  /**
   * Resolves the URL's host and checks every address it resolves to (one forbidden address
   * refuses it all): the address to connect to, pinned. An IP literal is not resolved.
   */
  async target(raw: string): Promise<CheckedTarget> {
    const { url, hostname } = this.parse(raw);
    const hostListed = !net.isIP(hostname) && this.allowed(hostname);
    let addresses: { address: string; family: number }[];
    if (net.isIP(hostname)) {
      addresses = [{ address: hostname, family: net.isIP(hostname) }];
    } else {
      try {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error("DNS timeout"), { code: `no answer within ${this.resolveTimeoutMs} ms` })), this.resolveTimeoutMs);
        });
        addresses = await Promise.race([this.resolver(hostname), timeout]).finally(() => clearTimeout(timer));
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw new SsrfRefusal(`host ${hostname} does not resolve${code ? ` (${code})` : ""}`);
      }
      if (!addresses.length) throw new SsrfRefusal(`host ${hostname} does not resolve`);
    }
    for (const { address } of addresses) {
      if (hostListed || this.allowed(address)) continue;
      const why = forbiddenReason(address);
      if (why) {
        const what = net.isIP(hostname) ? `${address} is` : `host ${hostname} resolves to ${address},`;
        throw new SsrfRefusal(`${what} ${why}: only public addresses may receive webhooks (a private deployment lists the host in HUB_WEBHOOK_ALLOW_HOSTS)`);
      }
    }
    const first = addresses[0];
    return { url, hostname, address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}
