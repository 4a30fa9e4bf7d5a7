/**
 * Reactions as the server keeps them (api4/reaction.go, app/reaction.go, the reaction store):
 * saving one (POST /reactions) and removing one (DELETE
 * /users/{user_id}/posts/{post_id}/reactions/{emoji_name}) with their checks in the server's
 * order, `reaction_added` / `reaction_removed` to the channel's members, and the post's
 * reactions (GET /posts/{post_id}/reactions). A save is an upsert: the same emoji again
 * answers 200 and announces `reaction_added` again; a removal of a reaction that does not
 * exist answers 200 and announces `reaction_removed` all the same. Both move the post's
 * `update_at`.
 */

import type { EmulatorConfig } from "./config.ts";
import { AppError, permissionError } from "./http.ts";
import { isSystemAdmin } from "./permissions.ts";
import type { PostRecord, ReactionRecord } from "./records.ts";
import { isRestrictedDm } from "./restricted_dm.ts";
import type { StoreEvents } from "./store_events.ts";
import { SYSTEM_EMOJI_NAMES } from "./system_emojis.ts";
import type { Tables } from "./tables.ts";

/** model.EmojiNameMaxLength. */
export const EMOJI_NAME_MAX_LENGTH = 64;
/** The characters of an emoji name (Reaction.IsValid, Context.RequireEmojiName). */
export const EMOJI_NAME = /^[a-zA-Z0-9\-+_]+$/;

/** Reactions to posts. */
export class ReactionStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #config: EmulatorConfig;

  /** A store over the shared tables, announcing through `events`, following `config`. */
  constructor(tables: Tables, events: StoreEvents, config: EmulatorConfig) {
    this.#tables = tables;
    this.#events = events;
    this.#config = config;
  }

  /**
   * POST /reactions after its body checks (saveReaction -> SaveReactionForPost): add_reaction
   * on the post's channel (a member, or a system admin), a live post (404), a system emoji
   * (404 `app.emoji.get_by_name.no_result`: the emulator has no custom emojis), at most
   * UniqueEmojiReactionLimitPerPost distinct emojis (400), no restricted DM (400), no archived
   * channel (403). `createAt` is the body's `create_at` (the server keeps a non-zero one).
   */
  submitReaction(userId: string, postId: string, emojiName: string, createAt = 0): ReactionRecord {
    const post = this.#tables.posts.get(postId);
    if (!this.#mayReact(userId, post)) throw permissionError();
    if (post === undefined || post.delete_at !== 0) {
      throw new AppError("app.post.get.app_error", 404);
    }
    if (!SYSTEM_EMOJI_NAMES.has(emojiName)) {
      throw new AppError("app.emoji.get_by_name.no_result", 404);
    }
    const list = this.#tables.reactions.get(postId) ?? [];
    const live = list.filter((r) => r.delete_at === 0);
    if (
      !live.some((r) => r.emoji_name === emojiName) &&
      new Set(live.map((r) => r.emoji_name)).size >= this.#config.uniqueEmojiReactionLimitPerPost
    ) {
      throw new AppError("app.reaction.save.save.too_many_reactions", 400);
    }
    const channel = this.#tables.channels.get(post.channel_id)!;
    if (isRestrictedDm(this.#tables, this.#config, channel)) {
      throw new AppError("api.reaction.save.restricted_dm.error", 400);
    }
    if (channel.delete_at > 0) {
      throw new AppError("api.reaction.save.archived_channel.app_error", 403);
    }
    const now = Date.now();
    const saved: ReactionRecord = {
      user_id: userId,
      post_id: postId,
      emoji_name: emojiName,
      create_at: createAt > 0 ? createAt : now,
      update_at: now,
      delete_at: 0,
      remote_id: "",
      channel_id: post.channel_id,
    };
    // ON CONFLICT (UserId, PostId, EmojiName) DO UPDATE: the row keeps its first create_at.
    const existing = list.find((r) => r.user_id === userId && r.emoji_name === emojiName);
    if (existing === undefined) list.push({ ...saved });
    else Object.assign(existing, { update_at: now, delete_at: 0, remote_id: "" });
    this.#tables.reactions.set(postId, list);
    post.update_at = Math.max(post.update_at, now);
    this.#announce("reaction_added", saved, post);
    return structuredClone(saved);
  }

  /**
   * DELETE /users/{user_id}/posts/{post_id}/reactions/{emoji_name} after its URL checks
   * (deleteReaction -> DeleteReactionForPost): remove_reaction on the post's channel, and
   * remove_others_reactions (system admins) for someone else's; a live post (404), no
   * restricted DM (400), no archived channel (403). Whether or not such a reaction exists,
   * `reaction_removed` goes out with the reaction as the server builds it from the URL
   * (create_at 0, channel_id "").
   */
  removeReaction(sessionUserId: string, userId: string, postId: string, emojiName: string): void {
    const post = this.#tables.posts.get(postId);
    if (!this.#mayReact(sessionUserId, post)) throw permissionError();
    if (userId !== sessionUserId && !isSystemAdmin(this.#tables, sessionUserId)) {
      throw permissionError();
    }
    if (post === undefined || post.delete_at !== 0) {
      throw new AppError("app.post.get.app_error", 404);
    }
    const channel = this.#tables.channels.get(post.channel_id)!;
    if (isRestrictedDm(this.#tables, this.#config, channel)) {
      throw new AppError("api.reaction.delete.restricted_dm.error", 400);
    }
    if (channel.delete_at > 0) {
      throw new AppError("api.reaction.delete.archived_channel.app_error", 403);
    }
    const now = Date.now();
    for (const r of this.#tables.reactions.get(postId) ?? []) {
      if (r.user_id === userId && r.emoji_name === emojiName) {
        Object.assign(r, { update_at: now, delete_at: now });
      }
    }
    post.update_at = Math.max(post.update_at, now);
    this.#announce("reaction_removed", {
      user_id: userId,
      post_id: postId,
      emoji_name: emojiName,
      create_at: 0,
      update_at: now,
      delete_at: 0,
      remote_id: "",
      channel_id: "",
    }, post);
  }

  /**
   * GET /posts/{post_id}/reactions (getReactions): read_channel_content on the post's channel
   * (a member or a system admin; 403 otherwise, a missing post included); the live reactions
   * by create_at -- of a deleted post too -- or `null` when there are none (a nil Go slice).
   */
  reactionsFor(userId: string, postId: string): ReactionRecord[] | null {
    if (!this.#mayReact(userId, this.#tables.posts.get(postId))) throw permissionError();
    const live = (this.#tables.reactions.get(postId) ?? [])
      .filter((r) => r.delete_at === 0)
      .sort((a, b) => a.create_at - b.create_at);
    return live.length > 0 ? structuredClone(live) : null;
  }

  /**
   * SessionHasPermissionToChannelByPost for add_reaction, remove_reaction and
   * read_channel_content: channel-member permissions, so a member of the post's channel
   * (deleted posts included) or a system admin; nobody for a post that does not exist but
   * admins.
   */
  #mayReact(userId: string, post: PostRecord | undefined): boolean {
    if (isSystemAdmin(this.#tables, userId)) return true;
    return post !== undefined && this.#tables.isChannelMember(post.channel_id, userId);
  }

  /** reaction_added / reaction_removed (data.reaction as a JSON string) to the channel. */
  #announce(event: string, reaction: ReactionRecord, post: PostRecord): void {
    this.#events.publish(
      event,
      { reaction: JSON.stringify(reaction) },
      { channel_id: post.channel_id },
      (uid) => this.#tables.isChannelMember(post.channel_id, uid),
      { channelScoped: true },
    );
    this.#events.changed();
  }
}
