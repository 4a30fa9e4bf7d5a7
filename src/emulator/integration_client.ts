/**
 * The request the server makes to an interactive button's integration (App.DoActionRequest
 * through httpservice's untrusted client): a JSON POST with Mattermost's User-Agent, no
 * signature, a timeout, and -- when ServiceSettings.AllowedUntrustedInternalConnections is in
 * force -- no connection to a loopback, private, reserved or own address the setting does not
 * name (httpservice dialContextFilter, IsReservedIP, IsOwnIP).
 */

/** The answer of the integration, or why there is none (every failure is one 400 for the clicker). */
export type IntegrationAnswer =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly reason: string };

/** The reserved IPv4 ranges of httpservice (reservedIPRanges), as [network, prefix]. */
const RESERVED_V4: readonly [string, number][] = [
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["127.0.0.0", 8],
  ["0.0.0.0", 8],
  ["169.254.0.0", 16],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["192.88.99.0", 24],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
  ["255.255.255.255", 32],
  ["100.64.0.0", 10],
];

function v4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) {
    return undefined;
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function inRange(ip: string, network: string, prefix: number): boolean {
  const a = v4(ip);
  const b = v4(network);
  if (a === undefined || b === undefined) {
    return prefix === 128 && ip.toLowerCase() === network.toLowerCase();
  }
  const size = 2 ** (32 - prefix);
  return Math.floor(a / size) === Math.floor(b / size);
}

/** IsReservedIP, for IPv4 and the IPv6 addresses a test can meet (::, ::1, ULA, link-local). */
function isReserved(ip: string): boolean {
  if (v4(ip) !== undefined) return RESERVED_V4.some(([net, prefix]) => inRange(ip, net, prefix));
  const lower = ip.toLowerCase();
  return lower === "::" || lower === "::1" || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/** IsOwnIP: an address of one of this machine's interfaces (when the emulator may ask). */
function isOwn(ip: string): boolean {
  try {
    return Deno.networkInterfaces().some((i) => i.address === ip);
  } catch {
    return false;
  }
}

/** The addresses a host name stands for (net.LookupIP), "localhost" as /etc/hosts has it. */
async function lookup(host: string): Promise<string[]> {
  if (v4(host) !== undefined || host.includes(":")) return [host];
  if (host === "localhost" || host.endsWith(".localhost")) return ["127.0.0.1"];
  return await Deno.resolveDns(host, "A");
}

/**
 * dialContextFilter: a host named in the setting is reached as it is; otherwise each of its
 * addresses must be public, or inside a CIDR range the setting names. Undefined `allowed`
 * (the emulator's default) lets everything through.
 */
async function refusal(host: string, allowed: string | undefined): Promise<string | undefined> {
  if (allowed === undefined) return undefined;
  const names = allowed.split(/[\s,]+/).filter(Boolean);
  if (names.includes(host)) return undefined;
  let ips: string[];
  try {
    ips = await lookup(host);
  } catch {
    return `cannot resolve ${host}`;
  }
  const ranges = names.map((n) => n.split("/")).filter((p) => p.length === 2);
  const permitted = (ip: string) =>
    (!isReserved(ip) && !isOwn(ip)) ||
    ranges.some(([net, prefix]) => inRange(ip, net, Number(prefix)));
  return ips.some(permitted)
    ? undefined
    : "address forbidden, you may need to set AllowedUntrustedInternalConnections";
}

/** POSTs `body` (JSON) to the integration at `url`, as the server does. */
export async function postToIntegration(
  url: string,
  body: string,
  policy: { readonly allowed: string | undefined; readonly timeoutMs: number },
): Promise<IntegrationAnswer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, reason: `not a URL: ${url}` };
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return { ok: false, reason: `unsupported protocol scheme ${target.protocol}` };
  }
  const host = target.hostname.replace(/^\[(.*)\]$/, "$1");
  const refused = await refusal(host, policy.allowed);
  if (refused !== undefined) return { ok: false, reason: refused };
  try {
    const response = await fetch(target, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "User-Agent": "Mattermost-Bot/1.1",
      },
      body,
      signal: AbortSignal.timeout(policy.timeoutMs),
    });
    return { ok: true, status: response.status, body: await response.text() };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
