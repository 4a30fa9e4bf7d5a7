/**
 * Changing posts that exist: PUT /posts/{id}/patch and DELETE /posts/{id} as the server
 * checks them (the author as a channel member, others as admins, nothing in an archived
 * channel), with `post_edited` and `post_deleted` (sanitized for members, with `delete_by`
 * for admins).
 */

import { AppError, permissionError } from "./http.ts";
import { hasReadChannel, isSystemAdmin } from "./permissions.ts";
import { checkMessageLength, hashtagsOf } from "./posts.ts";
import type { ChannelRecord, PostRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** Edits and deletions of posts. */
export class PostChanges {
  readonly #tables: Tables;
  readonly #events: StoreEvents;

  /** Changes over the shared tables, announced through `events`. */
  constructor(tables: Tables, events: StoreEvents) {
    this.#tables = tables;
    this.#events = events;
  }

  /**
   * PUT /posts/{id}/patch (patchPost -> postPatchChecks -> App.PatchPost): a post that is gone
   * (deleted or unknown) answers 403 like a missing edit_post permission; the author needs
   * edit_post (a channel member), others edit_others_posts (admins here); a post in an
   * archived channel cannot be changed. Sets edit_at when the message changes and publishes
   * `post_edited`.
   */
  patchPost(
    userId: string,
    postId: string,
    patch: { message?: string; is_pinned?: boolean },
  ): PostRecord {
    const post = this.#tables.posts.get(postId);
    if (!post || post.delete_at !== 0) throw permissionError();
    const channel = this.#changeablePostChannel(
      userId,
      post,
      "api.post.update_post.can_not_update_post_in_deleted.error",
    );
    if (patch.message !== undefined) checkMessageLength(patch.message);
    const now = Date.now();
    if (patch.message !== undefined && patch.message !== post.message) {
      post.message = patch.message;
      post.hashtags = hashtagsOf(patch.message);
      post.edit_at = now;
    }
    if (patch.is_pinned !== undefined) post.is_pinned = patch.is_pinned;
    post.update_at = now;
    this.#events.publish(
      "post_edited",
      { post: JSON.stringify(this.#tables.postForClient(post)) },
      { channel_id: channel.id },
      (uid) => this.#tables.isChannelMember(channel.id, uid),
    );
    this.#events.changed();
    return post;
  }

  /**
   * DELETE /posts/{id}: author needs delete_post (a channel member), others need
   * delete_others_posts (admins here). Soft-deletes the post and its replies and publishes
   * `post_deleted` (sanitized for members, with delete_by for admins).
   */
  removePost(userId: string, postId: string): void {
    const post = this.#tables.posts.get(postId);
    if (!post || post.delete_at !== 0) throw new AppError("app.post.get.app_error", 404);
    const channel = this.#changeablePostChannel(
      userId,
      post,
      "api.post.delete_post.can_not_delete_post_in_deleted.error",
    );
    const snapshot = JSON.stringify(this.#tables.postForClient(post));
    // Post times are kept strictly increasing (and may run ahead of the wall clock by a few
    // ms); a deletion must come after them so `since` queries see it.
    const now = this.#tables.nextPostTime();
    for (const p of [post, ...(this.#tables.repliesByRoot.get(postId) ?? [])]) {
      if (p.delete_at !== 0) continue;
      p.delete_at = now;
      p.update_at = now;
      p.props = { ...p.props, deleteBy: userId };
      for (const id of p.file_ids) {
        const f = this.#tables.files.get(id);
        if (f) f.info.delete_at = now;
      }
    }
    const member = (uid: string) => this.#tables.isChannelMember(channel.id, uid);
    const admin = (uid: string) => isSystemAdmin(this.#tables, uid);
    this.#events.publish(
      "post_deleted",
      { post: snapshot },
      { channel_id: channel.id, contains_sanitized_data: true },
      (uid) => member(uid) && !admin(uid),
    );
    this.#events.publish(
      "post_deleted",
      { post: snapshot, delete_by: userId },
      { channel_id: channel.id, contains_sensitive_data: true },
      (uid) => member(uid) && admin(uid),
    );
    this.#events.changed();
  }

  /**
   * Who may change (edit or delete) a post: its author as a channel member, others as admins;
   * a post in an archived channel cannot be changed (`archivedError`). Returns the channel.
   */
  #changeablePostChannel(
    userId: string,
    post: PostRecord,
    archivedError: string,
  ): ChannelRecord {
    const allowed = post.user_id === userId
      ? hasReadChannel(this.#tables, userId, post.channel_id)
      : isSystemAdmin(this.#tables, userId);
    if (!allowed) throw permissionError();
    const channel = this.#tables.channels.get(post.channel_id)!;
    if (channel.delete_at !== 0) throw new AppError(archivedError, 400);
    return channel;
  }
}
