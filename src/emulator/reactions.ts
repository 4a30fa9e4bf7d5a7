/**
 * Reactions: POST /reactions as SaveReactionForPost does it (add_reaction on the post's
 * channel, a live post, one reaction per user and emoji), with `reaction_added`.
 */

import { AppError, permissionError } from "./http.ts";
import { hasReadChannel } from "./permissions.ts";
import type { ReactionRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** Reactions to posts. */
export class ReactionStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;

  /** A store over the shared tables, announcing through `events`. */
  constructor(tables: Tables, events: StoreEvents) {
    this.#tables = tables;
    this.#events = events;
  }

  /**
   * POST /reactions (saveReaction -> SaveReactionForPost): add_reaction on the post's channel
   * (membership); the post must be live; the same emoji twice by one user is one reaction.
   * Publishes `reaction_added`.
   */
  submitReaction(userId: string, postId: string, emojiName: string): ReactionRecord {
    const post = this.#tables.posts.get(postId);
    if (!post || !hasReadChannel(this.#tables, userId, post.channel_id)) throw permissionError();
    if (post.delete_at !== 0) throw new AppError("app.post.get.app_error", 404);
    const list = this.#tables.reactions.get(postId) ?? [];
    let reaction = list.find((r) => r.user_id === userId && r.emoji_name === emojiName);
    if (reaction === undefined) {
      const now = Date.now();
      reaction = {
        user_id: userId,
        post_id: postId,
        emoji_name: emojiName,
        create_at: now,
        update_at: now,
        delete_at: 0,
        remote_id: "",
        channel_id: post.channel_id,
      };
      list.push(reaction);
      this.#tables.reactions.set(postId, list);
      post.update_at = now;
      this.#events.publish(
        "reaction_added",
        { reaction: JSON.stringify(reaction) },
        { channel_id: post.channel_id },
        (uid) => this.#tables.isChannelMember(post.channel_id, uid),
      );
      this.#events.changed();
    }
    return structuredClone(reaction);
  }
}
