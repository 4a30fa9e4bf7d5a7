/**
 * DATABASE_URL read into what a PostgreSQL connection needs, the password kept as a
 * {@link Secret} and the URL shown only without it. Only the parameters postbot acts on are
 * accepted (`sslmode`, `sslrootcert`, `connect_timeout`, `application_name`); any other is
 * refused by name rather than silently ignored -- a typo in `sslmode` must not turn TLS off.
 *
 * @module
 */

import { err, ok, type Problem, type Result, Secret } from "@postbot/framework";

/**
 * How the connection uses TLS, as libpq's `sslmode` names it: `disable` (plain), `require`
 * (encrypted, the server not checked), `verify-ca` (its certificate signed by the CA file),
 * `verify-full` (and issued for the host name in the URL).
 */
export type SslMode = "disable" | "require" | "verify-ca" | "verify-full";

const SSL_MODES: readonly SslMode[] = ["disable", "require", "verify-ca", "verify-full"];

/** A PostgreSQL server and database to connect to, from DATABASE_URL. */
export interface PostgresTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Secret;
  readonly database: string;
  readonly sslMode: SslMode;
  /** The CA file that signs the server's certificate (`sslrootcert`), for verify-ca/-full. */
  readonly caFile?: string;
  /** Seconds to wait for a connection (`connect_timeout`, default 10). */
  readonly connectTimeoutSeconds: number;
  readonly applicationName: string;
  /** The URL with the password replaced: what logs and messages may show. */
  readonly shown: string;
}

const KNOWN = new Set(["sslmode", "sslrootcert", "connect_timeout", "application_name"]);

/** The URL as it may be shown: the password, if any, replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:)[^@/?#]*@/i, "$1[redacted]@");
}

/** A problem with DATABASE_URL: what is wrong, the URL without its password, what to write. */
function urlProblem(shown: string, what: string, hint: string): Problem {
  return { message: `DATABASE_URL ${shown} ${what}`, hint };
}

/** Reads DATABASE_URL (`postgres://user:password@host:port/database?sslmode=...`). */
export function parsePostgresUrl(url: string): Result<PostgresTarget, Problem> {
  const shown = redactUrl(url);
  const form = "postgres://user:password@host:5432/database?sslmode=verify-full" +
    "&sslrootcert=/path/ca.pem";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return err(urlProblem(shown, "is not a URL", `Write it as ${form}.`));
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    return err(urlProblem(shown, "is not a postgres:// URL", `Write it as ${form}.`));
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (parsed.hostname === "" || database === "" || parsed.username === "") {
    return err(urlProblem(shown, "lacks a host, a user or a database name", `Write ${form}.`));
  }
  const unknown = [...parsed.searchParams.keys()].filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    return err(urlProblem(
      shown,
      `has parameters postbot does not use: ${unknown.join(", ")}`,
      `Keep to ${[...KNOWN].join(", ")}.`,
    ));
  }
  const q = (name: string) => parsed.searchParams.get(name) ?? undefined;
  const sslMode = (q("sslmode") ?? "disable") as SslMode;
  if (!SSL_MODES.includes(sslMode)) {
    return err(urlProblem(
      shown,
      `has sslmode=${sslMode}`,
      `Use one of ${SSL_MODES.join(", ")} (prefer and allow are not offered: they fall back ` +
        "to plain text silently).",
    ));
  }
  const caFile = q("sslrootcert");
  if ((sslMode === "verify-ca" || sslMode === "verify-full") && caFile === undefined) {
    return err(urlProblem(
      shown,
      `has sslmode=${sslMode} but no sslrootcert`,
      "Add &sslrootcert=/path/to/ca.pem: the CA that signed the server's certificate.",
    ));
  }
  const timeout = Number(q("connect_timeout") ?? "10");
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300) {
    return err(urlProblem(shown, "has a bad connect_timeout", "Seconds, from 1 to 300."));
  }
  return ok({
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port === "" ? 5432 : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: new Secret(decodeURIComponent(parsed.password)),
    database,
    sslMode,
    ...(caFile === undefined ? {} : { caFile }),
    connectTimeoutSeconds: timeout,
    applicationName: q("application_name") ?? "postbot",
    shown,
  });
}
