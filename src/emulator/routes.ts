/**
 * The REST route table, declared as data so the conformance test can check every entry
 * against the OpenAPI spec. Handlers follow server/channels/api4: the same permission gates,
 * status codes and error ids, in the same order.
 */

import {
  AppError,
  invalidBodyParam,
  invalidUrlParam,
  jsonResponse,
  noSuchRoute,
  permissionError,
  requireId,
  statusOk,
} from "./http.ts";
import {
  canReadChannelContent,
  canViewTeam,
  hasReadChannel,
  isSystemAdmin,
} from "./permissions.ts";
import type { ChannelRecord, PostRecord } from "./records.ts";
import { isValidId } from "./ids.ts";
import type { UploadPart } from "./files.ts";
import type { Tables } from "./tables.ts";
import {
  boolParam,
  jsonBody,
  paging,
  type Route,
  type RouteContext,
  userParam,
} from "./route_kit.ts";
import { memberView, postListView, teamView, userView } from "./views.ts";
import { interactionRoutes } from "./routes_interactions.ts";
import { peopleRoutes } from "./routes_people.ts";

function channelOr404(ctx: RouteContext): ChannelRecord {
  const id = requireId(ctx.params.channel_id, "channel_id");
  const channel = ctx.tables.channelRecord(id);
  if (!channel) throw new AppError("app.channel.get.existing.app_error", 404);
  return channel;
}

function readableChannel(ctx: RouteContext): ChannelRecord {
  const channel = channelOr404(ctx);
  if (!canReadChannelContent(ctx.tables, ctx.userId, channel)) throw permissionError();
  return channel;
}

function teamGate(
  ctx: RouteContext,
  team: { id: string; type: string; allow_open_invite: boolean },
) {
  if (
    (!team.allow_open_invite || team.type !== "O") && !canViewTeam(ctx.tables, ctx.userId, team.id)
  ) {
    throw permissionError();
  }
}

function fileForReader(ctx: RouteContext) {
  const id = requireId(ctx.params.file_id, "file_id");
  const file = ctx.tables.fileRecord(id);
  if (!file) throw new AppError("app.file_info.get.app_error", 404);
  const info = file.info;
  const post = info.post_id ? ctx.tables.postRecord(info.post_id) : undefined;
  const allowed = info.user_id === ctx.userId || isSystemAdmin(ctx.tables, ctx.userId) ||
    (post !== undefined && hasReadChannel(ctx.tables, ctx.userId, post.channel_id));
  if (!allowed) throw permissionError();
  return file;
}

/** Cursor ids around a page of posts (App.AddCursorIdsForPostList). */
function cursors(
  all: PostRecord[],
  order: PostRecord[],
  opts: { since: boolean; before: string; after: string; page: number },
): { next: string; prev: string } {
  if (opts.since) return { next: "", prev: "" };
  let next: string | undefined;
  let prev: string | undefined;
  if (opts.after !== "") {
    if (opts.page === 0) prev = opts.after;
    if (order.length === 0) next = "";
  } else if (opts.before !== "") {
    if (opts.page === 0) next = opts.before;
    if (order.length === 0) prev = "";
  }
  const newest = order[0];
  const oldest = order[order.length - 1];
  if (prev === undefined) {
    prev = oldest ? all.find((p) => p.create_at < oldest.create_at)?.id ?? "" : "";
  }
  if (next === undefined) {
    next = newest ? [...all].reverse().find((p) => p.create_at > newest.create_at)?.id ?? "" : "";
  }
  return { next, prev };
}

/** Posts of a channel changed after `since` (at most 1000), with their roots, newest first. */
function changedSince(tables: Tables, channelId: string, since: number): PostRecord[] {
  const changed = tables.channelPosts(channelId, true).filter((p) => p.update_at > since)
    .slice(0, 1000);
  const ids = new Set(changed.map((p) => p.id));
  for (const p of [...changed]) {
    const root = p.root_id ? tables.postRecord(p.root_id) : undefined;
    if (root && !ids.has(root.id)) {
      ids.add(root.id);
      changed.push(root);
    }
  }
  return changed.sort((a, b) => b.create_at - a.create_at);
}

/** One page of `live` (newest first): after or before an anchor post, or from the newest. */
function pageAround(
  tables: Tables,
  live: PostRecord[],
  at: { after: string; before: string; page: number; perPage: number },
): PostRecord[] {
  const { page, perPage } = at;
  if (at.after !== "") {
    const anchor = tables.postRecord(at.after);
    const newer = anchor ? live.filter((p) => p.create_at > anchor.create_at).reverse() : [];
    return newer.slice(page * perPage, page * perPage + perPage).reverse();
  }
  if (at.before !== "") {
    const anchor = tables.postRecord(at.before);
    const older = anchor ? live.filter((p) => p.create_at < anchor.create_at) : [];
    return older.slice(page * perPage, page * perPage + perPage);
  }
  return live.slice(page * perPage, page * perPage + perPage);
}

/**
 * GET /channels/{id}/posts (getPostsForChannel): `since` (changed posts and their roots),
 * `after` or `before` a post, or the newest page; roots of the page's replies unless
 * `skipFetchThreads`; the cursors around the page.
 */
function channelPostsPage(ctx: RouteContext): Response {
  const q = ctx.url.searchParams;
  const before = q.get("before") ?? "";
  const after = q.get("after") ?? "";
  if (after !== "") requireId(after, "after");
  if (before !== "") requireId(before, "before");
  const sinceRaw = q.get("since") ?? "";
  if (sinceRaw !== "" && !/^-?\d+$/.test(sinceRaw)) throw invalidBodyParam("since");
  const since = sinceRaw === "" ? 0 : Number(sinceRaw);
  const includeDeleted = boolParam(ctx.url, "include_deleted");
  if (includeDeleted && !isSystemAdmin(ctx.tables, ctx.userId)) throw permissionError();
  const channel = readableChannel(ctx);
  const { page, perPage } = paging(ctx.url);
  const live = ctx.tables.channelPosts(channel.id, includeDeleted);
  const order = since > 0
    ? changedSince(ctx.tables, channel.id, since)
    : pageAround(ctx.tables, live, { after, before, page, perPage });
  const posts = new Map(order.map((p) => [p.id, p]));
  if (since <= 0 && q.get("skipFetchThreads") !== "true") {
    for (const p of order) {
      const root = p.root_id ? ctx.tables.postRecord(p.root_id) : undefined;
      if (root && !posts.has(root.id)) posts.set(root.id, root);
    }
  }
  const { next, prev } = cursors(live, order, { since: since > 0, before, after, page });
  return jsonResponse(
    200,
    postListView(
      order.map((p) => p.id),
      // GetPriorityForPostList reads the priority of the posts in `order` only.
      [...posts.values()].map((p) =>
        ctx.tables.postForClient(p, { priority: order.includes(p) ? "stored" : "none" })
      ),
      next,
      prev,
    ),
  );
}

/**
 * POST /files (uploadFileStream): a multipart form (`files`, `channel_id`, `client_ids`) or
 * one raw body named by `?filename=`, checked in the server's order.
 */
async function uploadFiles(ctx: RouteContext): Promise<Response> {
  const readError = () => new AppError("api.file.upload_file.read_request.app_error", 400);
  if (ctx.req.headers.get("content-length") === "0") throw readError();
  let channelId = ctx.url.searchParams.get("channel_id") ?? "";
  const parts: UploadPart[] = [];
  const clientIds: string[] = [];
  const contentType = ctx.req.headers.get("content-type") ?? "";
  if (contentType.toLowerCase().startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await ctx.req.formData();
    } catch {
      throw readError();
    }
    for (const [name, value] of form.entries()) {
      if (typeof value !== "string") {
        if (name !== "files") throw invalidBodyParam(name);
        parts.push({ name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
      } else if (name === "channel_id") {
        if (channelId !== "" && channelId !== value) {
          throw new AppError("api.file.upload_file.multiple_channel_ids.app_error", 400);
        }
        channelId = value;
      } else if (name === "client_ids") {
        clientIds.push(value);
      } else {
        throw invalidBodyParam(name);
      }
    }
  } else {
    const filename = ctx.url.searchParams.get("filename") ?? "";
    if (filename === "") throw invalidUrlParam("filename");
    parts.push({ name: filename, bytes: new Uint8Array(await ctx.req.arrayBuffer()) });
    const clientId = ctx.url.searchParams.get("client_id");
    if (clientId) clientIds.push(clientId);
  }
  if (channelId === "") throw invalidBodyParam("channel_id");
  requireId(channelId, "channel_id");
  if (clientIds.length > 0 && clientIds.length !== parts.length) {
    throw new AppError("api.file.upload_file.incorrect_number_of_client_ids.app_error", 400, {
      NumClientIds: clientIds.length,
      NumFiles: parts.length,
    });
  }
  const infos = ctx.store.files.submitFiles(ctx.userId, channelId, parts);
  return jsonResponse(201, { file_infos: infos, client_ids: clientIds });
}

/** The REST endpoints the emulator serves, in matching order (literal segments first). */
export const routes: Route[] = [
  {
    method: "GET",
    path: "/api/v4/system/ping",
    auth: false,
    handler: () =>
      jsonResponse(200, {
        status: "OK",
        ActiveSearchBackend: "database",
        AndroidLatestVersion: "",
        AndroidMinVersion: "",
        IosLatestVersion: "",
        IosMinVersion: "",
      }),
  },
  {
    method: "POST",
    path: "/api/v4/users/ids",
    auth: true,
    handler: async (ctx) => {
      const body = await jsonBody(ctx.req, "user_ids");
      if (!Array.isArray(body) || body.length === 0) throw invalidBodyParam("user_ids");
      const users = [...new Set(body.map(String))]
        .map((id) => ctx.tables.userRecord(id))
        .filter((u) => u !== undefined)
        .map((u) => userView(u, ctx.userId));
      return jsonResponse(200, users);
    },
  },
  {
    method: "GET",
    path: "/api/v4/users/username/{username}",
    auth: true,
    handler: (ctx) => {
      const user = ctx.tables.userRecordByName(ctx.params.username);
      if (!user) throw new AppError("app.user.get_by_username.app_error", 404);
      return jsonResponse(200, userView(user, ctx.userId));
    },
  },
  {
    method: "GET",
    path: "/api/v4/users/{user_id}",
    auth: true,
    handler: (ctx) => {
      const user = ctx.tables.userRecord(userParam(ctx));
      if (!user) throw new AppError("app.user.missing.app_error", 404);
      return jsonResponse(200, userView(user, ctx.userId));
    },
  },
  {
    method: "GET",
    path: "/api/v4/users/{user_id}/status",
    auth: true,
    handler: (ctx) => {
      const userId = userParam(ctx);
      if (!ctx.tables.userRecord(userId)) {
        throw new AppError("api.status.user_not_found.app_error", 404);
      }
      return jsonResponse(200, ctx.store.presence.statusOf(userId));
    },
  },
  {
    method: "PUT",
    path: "/api/v4/users/{user_id}/status",
    auth: true,
    handler: async (ctx) => {
      const userId = userParam(ctx);
      const body = await jsonBody(ctx.req, "status");
      const input = body !== null && typeof body === "object"
        ? body as Record<string, unknown>
        : {};
      // The server's order: the body's user must be the path's, then the permission.
      if (input.user_id !== userId) throw invalidBodyParam("user_id");
      if (userId !== ctx.userId && !isSystemAdmin(ctx.tables, ctx.userId)) {
        throw permissionError();
      }
      return jsonResponse(200, ctx.store.presence.setByHand(userId, input.status));
    },
  },
  {
    method: "GET",
    path: "/api/v4/users/{user_id}/teams",
    auth: true,
    handler: (ctx) => {
      const userId = userParam(ctx);
      const admin = isSystemAdmin(ctx.tables, ctx.userId);
      if (userId !== ctx.userId && !admin) throw permissionError();
      return jsonResponse(200, ctx.tables.teamsOf(userId).map((t) => teamView(t, admin)));
    },
  },
  {
    method: "GET",
    path: "/api/v4/users/{user_id}/teams/{team_id}/channels",
    auth: true,
    handler: (ctx) => {
      const userId = userParam(ctx);
      const teamId = requireId(ctx.params.team_id, "team_id");
      if (userId !== ctx.userId && !isSystemAdmin(ctx.tables, ctx.userId)) throw permissionError();
      if (!canViewTeam(ctx.tables, ctx.userId, teamId)) throw permissionError();
      const list = ctx.tables.channelsForUser(
        teamId,
        userId,
        boolParam(ctx.url, "include_deleted"),
      );
      if (list.length === 0) {
        throw new AppError("app.channel.get_channels.not_found.app_error", 404);
      }
      return jsonResponse(200, list);
    },
  },
  {
    method: "GET",
    path: "/api/v4/users/{user_id}/teams/{team_id}/channels/members",
    auth: true,
    handler: (ctx) => {
      const userId = userParam(ctx);
      const teamId = requireId(ctx.params.team_id, "team_id");
      if (!canViewTeam(ctx.tables, ctx.userId, teamId)) throw permissionError();
      if (userId !== ctx.userId && !isSystemAdmin(ctx.tables, ctx.userId)) throw permissionError();
      return jsonResponse(
        200,
        ctx.tables.memberRecordsForUser(teamId, userId).map((m) => memberView(m, ctx.userId)),
      );
    },
  },
  {
    method: "GET",
    path: "/api/v4/teams/name/{name}",
    auth: true,
    handler: (ctx) => {
      const team = ctx.tables.teamRecordByName(ctx.params.name);
      if (!team) throw new AppError("app.team.get_by_name.missing.app_error", 404);
      teamGate(ctx, team);
      return jsonResponse(200, teamView(team, isSystemAdmin(ctx.tables, ctx.userId)));
    },
  },
  {
    method: "GET",
    path: "/api/v4/teams/{team_id}",
    auth: true,
    handler: (ctx) => {
      const team = ctx.tables.teamRecord(requireId(ctx.params.team_id, "team_id"));
      if (!team) throw new AppError("app.team.get.find.app_error", 404);
      teamGate(ctx, team);
      return jsonResponse(200, teamView(team, isSystemAdmin(ctx.tables, ctx.userId)));
    },
  },
  {
    method: "GET",
    path: "/api/v4/teams/{team_id}/members/{user_id}",
    auth: true,
    handler: (ctx) => {
      const teamId = requireId(ctx.params.team_id, "team_id");
      const userId = userParam(ctx);
      if (!canViewTeam(ctx.tables, ctx.userId, teamId)) throw permissionError();
      const member = ctx.tables.teamMemberRecord(teamId, userId);
      if (!member) throw new AppError("app.team.get_member.missing.app_error", 404);
      return jsonResponse(200, member);
    },
  },
  {
    method: "GET",
    path: "/api/v4/teams/{team_id}/channels/name/{channel_name}",
    auth: true,
    handler: (ctx) => {
      const teamId = requireId(ctx.params.team_id, "team_id");
      // The router takes [A-Za-z0-9_-]+ only; the server lowercases the name, then wants it to
      // start with a letter or digit (model.IsValidChannelIdentifier).
      if (!/^[A-Za-z0-9_-]+$/.test(ctx.params.channel_name)) throw noSuchRoute();
      const name = ctx.params.channel_name.toLowerCase();
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw invalidUrlParam("channel_name");
      const channel = ctx.tables.channelRecordByName(
        teamId,
        name,
        boolParam(ctx.url, "include_deleted"),
      );
      if (!channel) throw new AppError("app.channel.get_by_name.missing.app_error", 404);
      if (channel.type === "O") {
        if (!canReadChannelContent(ctx.tables, ctx.userId, channel)) throw permissionError();
      } else if (!hasReadChannel(ctx.tables, ctx.userId, channel.id)) {
        throw new AppError("app.channel.get_by_name.missing.app_error", 404);
      }
      return jsonResponse(200, channel);
    },
  },
  {
    method: "GET",
    path: "/api/v4/teams/{team_id}/channels",
    auth: true,
    handler: (ctx) => {
      const teamId = requireId(ctx.params.team_id, "team_id");
      if (!canViewTeam(ctx.tables, ctx.userId, teamId)) throw permissionError();
      const { page, perPage } = paging(ctx.url);
      const list = ctx.tables.publicChannels(teamId).slice(
        page * perPage,
        page * perPage + perPage,
      );
      return jsonResponse(200, list);
    },
  },
  {
    method: "POST",
    path: "/api/v4/channels/direct",
    auth: true,
    handler: async (ctx) => {
      const body = await jsonBody(ctx.req, "user_ids");
      return jsonResponse(201, ctx.store.channels.submitDirectChannel(ctx.userId, body));
    },
  },
  {
    method: "POST",
    path: "/api/v4/channels/members/{user_id}/view",
    auth: true,
    handler: async (ctx) => {
      const userId = userParam(ctx);
      if (userId !== ctx.userId && !isSystemAdmin(ctx.tables, ctx.userId)) throw permissionError();
      const body = await jsonBody(ctx.req, "channel_view");
      if (!body || typeof body !== "object" || Array.isArray(body)) {
        throw invalidBodyParam("channel_view");
      }
      const view = body as Record<string, unknown>;
      const ids: string[] = [];
      for (const key of ["channel_id", "prev_channel_id"]) {
        const value = view[key] ?? "";
        if (typeof value !== "string") throw invalidBodyParam("channel_view");
        if (value === "") continue;
        if (!isValidId(value)) throw invalidBodyParam(`channel_view.${key}`);
        ids.push(value);
      }
      const times = ids.length === 0 ? {} : ctx.store.memberships.viewChannels(userId, ids);
      if (ids.length > 0 && Object.keys(times).length === 0) {
        throw new AppError("app.channel.update_last_viewed_at.app_error", 400);
      }
      return jsonResponse(200, { status: "OK", last_viewed_at_times: times });
    },
  },
  {
    method: "GET",
    path: "/api/v4/channels/{channel_id}",
    auth: true,
    handler: (ctx) => jsonResponse(200, readableChannel(ctx)),
  },
  {
    method: "GET",
    path: "/api/v4/channels/{channel_id}/members",
    auth: true,
    handler: (ctx) => {
      const channelId = requireId(ctx.params.channel_id, "channel_id");
      if (!hasReadChannel(ctx.tables, ctx.userId, channelId)) throw permissionError();
      // GetMembers has no ORDER BY: PostgreSQL answers in the order its plan finds the rows
      // (by user id through the key for a few members, table order for more, which an
      // update of a membership can change between two pages). The emulator keeps joining
      // order. Someone else's last_viewed_at / last_update_at read -1.
      const { page, perPage } = paging(ctx.url);
      const members = ctx.tables.channelMemberRecords(channelId)
        .slice(page * perPage, page * perPage + perPage)
        .map((m) => memberView(m, ctx.userId));
      return jsonResponse(200, members);
    },
  },
  {
    method: "GET",
    path: "/api/v4/channels/{channel_id}/stats",
    auth: true,
    handler: (ctx) => {
      // getChannelStats: read_channel, then the count of active members (bots included).
      const channelId = requireId(ctx.params.channel_id, "channel_id");
      if (!hasReadChannel(ctx.tables, ctx.userId, channelId)) throw permissionError();
      return jsonResponse(200, ctx.store.channels.channelStats(channelId));
    },
  },
  {
    method: "GET",
    path: "/api/v4/channels/{channel_id}/members/{user_id}",
    auth: true,
    handler: (ctx) => {
      const channelId = requireId(ctx.params.channel_id, "channel_id");
      const userId = userParam(ctx);
      if (!hasReadChannel(ctx.tables, ctx.userId, channelId)) throw permissionError();
      const member = ctx.tables.channelMemberRecord(channelId, userId);
      if (!member) throw new AppError("app.channel.get_member.missing.app_error", 404);
      return jsonResponse(200, memberView(member, ctx.userId));
    },
  },
  {
    method: "GET",
    path: "/api/v4/channels/{channel_id}/posts",
    auth: true,
    handler: channelPostsPage,
  },
  {
    method: "POST",
    path: "/api/v4/posts",
    auth: true,
    handler: async (ctx) => {
      const body = await jsonBody(ctx.req, "post");
      if (!body || typeof body !== "object" || Array.isArray(body)) throw invalidBodyParam("post");
      const input = body as Record<string, unknown>;
      const setOnlineRaw = ctx.url.searchParams.get("set_online");
      const setOnline = setOnlineRaw === null || !/^(false|0|f)$/i.test(setOnlineRaw);
      const post = ctx.store.posts.submitPost(ctx.userId, {
        channel_id: input.channel_id as string,
        message: input.message as string,
        file_ids: input.file_ids as string[] | undefined,
        props: input.props as Record<string, unknown> | undefined,
        root_id: input.root_id as string | undefined,
        metadata: input.metadata,
        pending_post_id: typeof input.pending_post_id === "string" ? input.pending_post_id : "",
        // createPost: a create_at from anyone but a system admin is reset to 0 (now).
        create_at: typeof input.create_at === "number" && isSystemAdmin(ctx.tables, ctx.userId)
          ? input.create_at
          : undefined,
      }, setOnline);
      // CreatePost prepared the post for its answer with the priority as the client sent it.
      const view = ctx.tables.postForClient(post, { priority: "echo" });
      view.pending_post_id = typeof input.pending_post_id === "string" ? input.pending_post_id : "";
      return jsonResponse(201, view);
    },
  },
  {
    method: "POST",
    path: "/api/v4/posts/ids",
    auth: true,
    handler: async (ctx) => {
      // getPostsByIds: at most 1000 ids; deleted posts included (the store query does not
      // filter them), posts in channels the caller may not read left out; none found = 404.
      const body = await jsonBody(ctx.req, "post_ids");
      if (!Array.isArray(body)) throw new AppError("api.context.invalid_body_param.app_error", 400);
      if (body.length === 0) throw invalidBodyParam("post_ids");
      if (body.length > 1000) {
        throw new AppError("api.post.posts_by_ids.invalid_body.request_error", 400, {
          MaxLength: 1000,
        });
      }
      const found = [...new Set(body.map(String))]
        .map((id) => ctx.tables.postRecord(id))
        .filter((p) => p !== undefined);
      if (found.length === 0) throw new AppError("app.post.get.app_error", 404);
      const readable = found
        .filter((p) =>
          canReadChannelContent(ctx.tables, ctx.userId, ctx.tables.channelRecord(p.channel_id)!)
        )
        .sort((a, b) => b.create_at - a.create_at);
      // PreparePostForClient without the embeds step: no metadata.embeds here.
      return jsonResponse(200, readable.map((p) => ctx.tables.postForClient(p, { embeds: false })));
    },
  },
  {
    method: "GET",
    path: "/api/v4/posts/{post_id}",
    auth: true,
    handler: (ctx) => {
      const id = requireId(ctx.params.post_id, "post_id");
      const includeDeleted = boolParam(ctx.url, "include_deleted");
      if (includeDeleted && !isSystemAdmin(ctx.tables, ctx.userId)) throw permissionError();
      const post = ctx.tables.postRecord(id);
      if (!post || (post.delete_at !== 0 && !includeDeleted)) {
        throw new AppError("app.post.get.app_error", 404);
      }
      const channel = ctx.tables.channelRecord(post.channel_id)!;
      if (!canReadChannelContent(ctx.tables, ctx.userId, channel)) throw permissionError();
      return jsonResponse(200, ctx.tables.postForClient(post));
    },
  },
  {
    method: "PUT",
    path: "/api/v4/posts/{post_id}/patch",
    auth: true,
    handler: async (ctx) => {
      const id = requireId(ctx.params.post_id, "post_id");
      const body = await jsonBody(ctx.req, "post");
      if (!body || typeof body !== "object" || Array.isArray(body)) throw invalidBodyParam("post");
      const input = body as Record<string, unknown>;
      // PostPatch.Props is a map: another JSON type fails the body's decoding.
      const props = input.props ?? undefined;
      if (props !== undefined && (typeof props !== "object" || Array.isArray(props))) {
        throw invalidBodyParam("post");
      }
      const patched = ctx.store.postChanges.patchPost(ctx.userId, id, {
        message: typeof input.message === "string" ? input.message : undefined,
        is_pinned: typeof input.is_pinned === "boolean" ? input.is_pinned : undefined,
        props: props as Record<string, unknown> | undefined,
      });
      return jsonResponse(200, ctx.tables.postForClient(patched));
    },
  },
  {
    method: "DELETE",
    path: "/api/v4/posts/{post_id}",
    auth: true,
    handler: (ctx) => {
      ctx.store.postChanges.removePost(ctx.userId, requireId(ctx.params.post_id, "post_id"));
      return statusOk();
    },
  },
  {
    method: "POST",
    path: "/api/v4/files",
    auth: true,
    handler: uploadFiles,
  },
  {
    method: "GET",
    path: "/api/v4/files/{file_id}",
    auth: true,
    handler: (ctx) => {
      const { info, bytes } = fileForReader(ctx);
      const inline = info.mime_type.startsWith("image/") && !boolParam(ctx.url, "download");
      const encoded = encodeURIComponent(info.name);
      return new Response(bytes.slice(), {
        status: 200,
        headers: {
          "Content-Type": info.mime_type || "application/octet-stream",
          // web.WriteFileResponse: in gzip mode the length goes into a header of its own
          // (Go's ServeContent still sets Content-Length when the answer is not compressed).
          "Content-Length": String(bytes.byteLength),
          ...(ctx.gzip && bytes.byteLength > 0
            ? { "X-Uncompressed-Content-Length": String(bytes.byteLength) }
            : {}),
          "Content-Disposition": `${inline ? "inline" : "attachment"};filename="${
            info.name.replace(/"/g, "")
          }"; filename*=UTF-8''${encoded}`,
          "X-Content-Type-Options": "nosniff",
          "Cache-Control": "private, max-age=86400",
          "Last-Modified": new Date(info.update_at).toUTCString(),
        },
      });
    },
  },
  {
    method: "GET",
    path: "/api/v4/files/{file_id}/info",
    auth: true,
    handler: (ctx) =>
      jsonResponse(200, fileForReader(ctx).info, { "Cache-Control": "max-age=2592000, private" }),
  },
  ...interactionRoutes,
  ...peopleRoutes,
];
