/**
 * The REST routes of reactions (api4/reaction.go) and of interactive message buttons
 * (api4/integration_action.go): their URL and body checks in the server's order, then the
 * stores (reactions.ts, post_actions.ts) for the rest.
 */

import {
  AppError,
  invalidBodyParam,
  invalidUrlParam,
  jsonResponse,
  noSuchRoute,
  requireId,
  statusOk,
} from "./http.ts";
import { isValidId } from "./ids.ts";
import { EMOJI_NAME, EMOJI_NAME_MAX_LENGTH } from "./reactions.ts";
import { type Route, type RouteContext, userParam } from "./route_kit.ts";

/**
 * The POST /reactions body decoded as model.Reaction (a value of the wrong type, or no JSON
 * object, is a 400 naming `reaction`), then saveReaction's checks: valid ids and a name of 1
 * to 64 bytes (400), the caller's own reaction (403).
 */
async function reactionBody(ctx: RouteContext) {
  let raw: unknown;
  try {
    raw = await ctx.req.json();
  } catch {
    throw invalidBodyParam("reaction");
  }
  if (raw !== null && (typeof raw !== "object" || Array.isArray(raw))) {
    throw invalidBodyParam("reaction");
  }
  const body = (raw ?? {}) as Record<string, unknown>;
  const text = (key: string) => {
    const v = body[key] ?? "";
    if (typeof v !== "string") throw invalidBodyParam("reaction");
    return v;
  };
  const createAt = body.create_at ?? 0;
  if (typeof createAt !== "number" || !Number.isInteger(createAt)) {
    throw invalidBodyParam("reaction");
  }
  const reaction = {
    userId: text("user_id"),
    postId: text("post_id"),
    emojiName: text("emoji_name"),
    createAt,
  };
  const nameBytes = new TextEncoder().encode(reaction.emojiName).length;
  if (
    !isValidId(reaction.userId) || !isValidId(reaction.postId) || nameBytes === 0 ||
    nameBytes > EMOJI_NAME_MAX_LENGTH
  ) {
    throw new AppError("api.reaction.save_reaction.invalid.app_error", 400);
  }
  if (reaction.userId !== ctx.userId) {
    throw new AppError("api.reaction.save_reaction.user_id.app_error", 403);
  }
  return reaction;
}

/** The body of a click (model.DoPostActionRequest); one that does not decode is ignored. */
async function clickBody(ctx: RouteContext): Promise<{ selected: string; cookie: string }> {
  try {
    const raw = await ctx.req.json();
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      return { selected: "", cookie: "" };
    }
    const { selected_option: selected, cookie } = raw as Record<string, unknown>;
    return {
      selected: typeof selected === "string" ? selected : "",
      cookie: typeof cookie === "string" ? cookie : "",
    };
  } catch {
    return { selected: "", cookie: "" };
  }
}

/** Reactions and button clicks. */
export const interactionRoutes: Route[] = [
  {
    method: "POST",
    path: "/api/v4/reactions",
    auth: true,
    handler: async (ctx) => {
      const r = await reactionBody(ctx);
      const saved = ctx.store.reactions.submitReaction(
        ctx.userId,
        r.postId,
        r.emojiName,
        r.createAt,
      );
      return jsonResponse(200, saved);
    },
  },
  {
    method: "GET",
    path: "/api/v4/posts/{post_id}/reactions",
    auth: true,
    handler: (ctx) => {
      const postId = requireId(ctx.params.post_id, "post_id");
      return jsonResponse(200, ctx.store.reactions.reactionsFor(ctx.userId, postId));
    },
  },
  {
    method: "DELETE",
    path: "/api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}",
    auth: true,
    handler: (ctx) => {
      const name = ctx.params.emoji_name;
      if (!EMOJI_NAME.test(name)) throw noSuchRoute();
      const userId = userParam(ctx);
      const postId = requireId(ctx.params.post_id, "post_id");
      if (name.length > EMOJI_NAME_MAX_LENGTH) throw invalidUrlParam("emoji_name");
      ctx.store.reactions.removeReaction(ctx.userId, userId, postId, name);
      return statusOk();
    },
  },
  {
    method: "POST",
    path: "/api/v4/posts/{post_id}/actions/{action_id}",
    auth: true,
    handler: async (ctx) => {
      if (!/^[A-Za-z0-9]+$/.test(ctx.params.action_id)) throw noSuchRoute();
      const postId = requireId(ctx.params.post_id, "post_id");
      const { selected, cookie } = await clickBody(ctx);
      // The emulator hands out no cookies, so none it is given decrypts.
      if (cookie !== "") throw new AppError("api.post.do_action.action_integration.app_error", 400);
      const result = await ctx.store.actions.click(
        ctx.userId,
        postId,
        ctx.params.action_id,
        selected,
      );
      return jsonResponse(200, result);
    },
  },
];
