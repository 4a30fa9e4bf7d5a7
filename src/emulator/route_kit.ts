/**
 * What every part of the REST route table shares: the handler's context, the route record,
 * and the server's readers of URL parameters and JSON bodies (web/params.go, Context).
 */

import { invalidBodyParam, requireId } from "./http.ts";
import type { MemoryStore } from "./store.ts";
import type { Tables } from "./tables.ts";

/** What a handler gets: the request, path parameters, the caller, the data and its stores. */
export interface RouteContext {
  req: Request;
  url: URL;
  params: Record<string, string>;
  /** The authenticated user ("" on routes that need no session). */
  userId: string;
  /** The records and lookups (what reads and permission checks use). */
  tables: Tables;
  /** The stores that change data by the server's rules. */
  store: MemoryStore;
  /** WebserverMode "gzip" (what a few answers' headers depend on). */
  gzip?: boolean;
}

/** One REST endpoint: method, spec path template, whether a session is required, handler. */
export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  auth: boolean;
  handler(ctx: RouteContext): Response | Promise<Response>;
}

const PER_PAGE_DEFAULT = 60;
const PER_PAGE_MAXIMUM = 200;

/** page / per_page as web/params.go reads them: bad or negative -> defaults, per_page capped at 200. */
export function paging(url: URL): { page: number; perPage: number } {
  const int = (name: string) => {
    const raw = url.searchParams.get(name);
    return raw !== null && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  };
  const page = int("page");
  const perPage = int("per_page");
  return {
    page: Number.isNaN(page) || page < 0 ? 0 : page,
    perPage: Number.isNaN(perPage) || perPage < 0
      ? PER_PAGE_DEFAULT
      : Math.min(perPage, PER_PAGE_MAXIMUM),
  };
}

/** A boolean query parameter ("true", any case, or "1"). */
export function boolParam(url: URL, name: string): boolean {
  return url.searchParams.get(name)?.toLowerCase() === "true" ||
    url.searchParams.get(name) === "1";
}

/** A user id in the URL: "me" is the caller; anything else must be a valid id (400). */
export function userParam(ctx: RouteContext, name = "user_id"): string {
  const raw = ctx.params[name];
  return raw === "me" ? ctx.userId : requireId(raw, name);
}

/** The JSON body; a body that does not parse is a 400 naming `name`. */
export async function jsonBody(req: Request, name: string): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw invalidBodyParam(name);
  }
}
