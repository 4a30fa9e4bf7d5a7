/**
 * GET /users (api4/user.go getUsers) for the lists a bot pages through: the people of a team
 * (`in_team`), of a channel (`in_channel`), or not in one (`not_in_team`, `not_in_channel`),
 * optionally only `active` or `inactive` ones, by username, `page`/`per_page` (at most 200).
 * Bots are people here; deactivated users too unless `active=true`. Every entry is sanitized
 * as for someone else, the caller's own included.
 */

import { AppError, invalidUrlParam, jsonResponse } from "./http.ts";
import { newId } from "./ids.ts";
import { canViewTeam, hasReadChannel } from "./permissions.ts";
import type { UserRecord } from "./records.ts";
import { paging, type Route, type RouteContext } from "./route_kit.ts";
import { userView } from "./views.ts";

const PERMISSION = "api.context.permissions.app_error";

/** The sort orders getUsers accepts, each only with the filters it names. */
function checkSort(q: URLSearchParams): void {
  const sort = q.get("sort") ?? "";
  const has = (name: string) => (q.get(name) ?? "") !== "";
  const valid = ["", "last_activity_at", "create_at", "status", "admin", "display_name"];
  if (!valid.includes(sort)) throw invalidUrlParam("sort");
  const otherFilters = ["not_in_team", "in_channel", "not_in_channel", "without_team"]
    .concat(["in_group", "not_in_group"]).some(has);
  if ((sort === "last_activity_at" || sort === "create_at") && (!has("in_team") || otherFilters)) {
    throw invalidUrlParam("sort");
  }
  if ((sort === "status" || sort === "admin") && !has("in_channel")) throw invalidUrlParam("sort");
  if (sort === "display_name") throw invalidUrlParam("sort");
}

/** The users a filter selects, with its permission check (403), before activity and paging. */
function selected(ctx: RouteContext, q: URLSearchParams): UserRecord[] {
  const { tables, userId } = ctx;
  const all = [...tables.users.values()];
  const inTeam = q.get("in_team") ?? "";
  const notInTeam = q.get("not_in_team") ?? "";
  const inChannel = q.get("in_channel") ?? "";
  const notInChannel = q.get("not_in_channel") ?? "";
  if (notInChannel !== "") {
    if (!hasReadChannel(tables, userId, notInChannel)) throw new AppError(PERMISSION, 403);
    return all.filter((u) =>
      tables.isTeamMember(inTeam, u.id) && !tables.isChannelMember(notInChannel, u.id)
    );
  }
  if (notInTeam !== "") {
    if (!canViewTeam(tables, userId, notInTeam)) throw new AppError(PERMISSION, 403);
    return all.filter((u) => !tables.isTeamMember(notInTeam, u.id));
  }
  if (inTeam !== "") {
    if (!canViewTeam(tables, userId, inTeam)) throw new AppError(PERMISSION, 403);
    return all.filter((u) => tables.isTeamMember(inTeam, u.id));
  }
  if (inChannel !== "") {
    if (!hasReadChannel(tables, userId, inChannel)) throw new AppError(PERMISSION, 403);
    return all.filter((u) => tables.isChannelMember(inChannel, u.id));
  }
  return all;
}

/** Go's strconv.ParseBool, false when it does not parse. */
function goBool(raw: string | null): boolean {
  return raw !== null && ["1", "t", "T", "TRUE", "true", "True"].includes(raw);
}

function listUsers(ctx: RouteContext): Response {
  const q = ctx.url.searchParams;
  if ((q.get("not_in_channel") ?? "") !== "" && (q.get("in_team") ?? "") === "") {
    throw invalidUrlParam("team_id");
  }
  checkSort(q);
  const inactive = goBool(q.get("inactive"));
  const active = goBool(q.get("active"));
  const { page, perPage } = paging(ctx.url);
  const users = selected(ctx, q)
    .filter((u) => inactive ? u.delete_at !== 0 : !active || u.delete_at === 0)
    .sort((a, b) => a.username < b.username ? -1 : a.username > b.username ? 1 : 0)
    .slice(page * perPage, page * perPage + perPage)
    .map((u) => userView(u, ""));
  if (inactive && active) {
    // getUsers marks the error but does not return: the list (of inactive users) is written,
    // then the error after it. Its 400 wins only while nothing went out yet: when gzip
    // (WebserverMode "gzip", a client that accepts it) holds back an answer under 1 KiB.
    const list = JSON.stringify(users);
    const held = ctx.gzip && /\bgzip\b/.test(ctx.req.headers.get("accept-encoding") ?? "") &&
      list.length < 1024;
    const error = invalidUrlParam("inactive").toBody(newId());
    return new Response(`${list}${JSON.stringify(error)}`, {
      status: held ? 400 : 200,
      headers: { "Content-Type": "application/json" },
    });
  }
  return jsonResponse(200, users);
}

/** GET /users. */
export const peopleRoutes: Route[] = [
  { method: "GET", path: "/api/v4/users", auth: true, handler: listUsers },
];
