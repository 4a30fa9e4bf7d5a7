/**
 * Changing posts that exist: PUT /posts/{id}/patch and DELETE /posts/{id} as the server
 * checks them (the author as a channel member, others as admins, nothing in an archived
 * channel), with `post_edited` and `post_deleted` (sanitized for members, with `delete_by`
 * for admins).
 */

import { sameAttachments, withActionIds } from "./attachments.ts";
import type { EmulatorConfig } from "./config.ts";
import { AppError, permissionError } from "./http.ts";
import { hasReadChannel, isSystemAdmin } from "./permissions.ts";
import { checkMessageLength, hashtagsOf } from "./posts.ts";
import type { ChannelRecord, PostRecord } from "./records.ts";
import { isRestrictedDm } from "./restricted_dm.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** What an integration's `update` replaces in a post (App.UpdatePost with SafeUpdate off). */
export interface PostReplacement {
  /** The new message ("" when the update has none: the server does not keep the old one). */
  readonly message: string;
  /** The new props (already merged with the kept ones), or undefined to keep the old. */
  readonly props: Record<string, unknown> | undefined;
  /** The file ids the update names: the post keeps those it has, detaches the others. */
  readonly fileIds: readonly string[];
}

/** Edits and deletions of posts. */
export class PostChanges {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #config: EmulatorConfig;

  /** Changes over the shared tables, announced through `events`, following `config`. */
  constructor(tables: Tables, events: StoreEvents, config: EmulatorConfig) {
    this.#tables = tables;
    this.#events = events;
    this.#config = config;
  }

  /**
   * App.UpdatePost with SafeUpdate off (how an integration's answer to a button click changes
   * the post): a deleted post (400), a system message (400), an archived channel (400) or a
   * restricted DM (400) refuse it; the message is replaced (edit_at set when it changes, or
   * when the files or attachments do), the props too unless undefined, the files not named
   * are detached; is_pinned and the reactions stay. Publishes `post_edited`.
   */
  replacePost(postId: string, next: PostReplacement): PostRecord {
    const post = this.#tables.posts.get(postId);
    if (!post) throw new AppError("app.post.get.app_error", 404);
    if (post.delete_at !== 0) {
      throw new AppError("api.post.update_post.permissions_details.app_error", 400, {
        PostId: postId,
      });
    }
    if (post.type.startsWith("system_")) {
      throw new AppError("api.post.update_post.system_message.app_error", 400);
    }
    const channel = this.#updatableChannel(post);
    checkMessageLength(next.message);
    const props = withActionIds(structuredClone(next.props ?? post.props));
    const now = Date.now();
    const fileIds = post.file_ids.filter((id) => next.fileIds.includes(id));
    let editAt = post.edit_at;
    if (next.message !== post.message) editAt = now;
    else if (fileIds.length !== post.file_ids.length || !sameAttachments(post.props, props)) {
      editAt = now;
    }
    for (const id of post.file_ids.filter((id) => !fileIds.includes(id))) {
      const f = this.#tables.files.get(id);
      if (f) f.info.delete_at = now;
    }
    Object.assign(post, {
      message: next.message,
      hashtags: hashtagsOf(next.message),
      props,
      file_ids: fileIds,
      edit_at: editAt,
      update_at: now,
    });
    this.#publishEdited(post, channel);
    return post;
  }

  /**
   * PUT /posts/{id}/patch (patchPost -> postPatchChecks -> App.PatchPost): a post that is gone
   * (deleted or unknown) answers 403 like a missing edit_post permission; the author needs
   * edit_post (a channel member), others edit_others_posts (admins here); a post in an
   * archived channel cannot be changed. `props`, when given, replace every prop (Post.Patch,
   * then UpdatePost's SanitizeProps: `from_bot` is not kept unless sent again). Sets edit_at
   * when the message changes, or else when the attachments do, and publishes `post_edited`.
   */
  patchPost(
    userId: string,
    postId: string,
    patch: { message?: string; is_pinned?: boolean; props?: Record<string, unknown> },
  ): PostRecord {
    const post = this.#tables.posts.get(postId);
    if (!post || post.delete_at !== 0) throw permissionError();
    const channel = this.#changeablePostChannel(
      userId,
      post,
      "api.post.update_post.can_not_update_post_in_deleted.error",
    );
    if (isRestrictedDm(this.#tables, this.#config, channel)) {
      throw new AppError("api.post.update_post.can_not_update_post_in_restricted_dm.error", 400);
    }
    if (patch.message !== undefined) checkMessageLength(patch.message);
    const now = Date.now();
    if (patch.message !== undefined && patch.message !== post.message) {
      post.message = patch.message;
      post.hashtags = hashtagsOf(patch.message);
      post.edit_at = now;
    }
    if (patch.is_pinned !== undefined) post.is_pinned = patch.is_pinned;
    if (patch.props !== undefined) {
      const props = withActionIds(structuredClone(patch.props));
      delete props.add_channel_member;
      delete props.force_notification;
      if (post.edit_at !== now && !sameAttachments(post.props, props)) post.edit_at = now;
      post.props = props;
    }
    post.update_at = now;
    this.#publishEdited(post, channel);
    return post;
  }

  /** The channel of a post about to be updated: not archived, not a restricted DM (400s). */
  #updatableChannel(post: PostRecord): ChannelRecord {
    const channel = this.#tables.channels.get(post.channel_id)!;
    if (channel.delete_at !== 0) {
      throw new AppError("api.post.update_post.can_not_update_post_in_deleted.error", 400);
    }
    if (isRestrictedDm(this.#tables, this.#config, channel)) {
      throw new AppError("api.post.update_post.can_not_update_post_in_restricted_dm.error", 400);
    }
    return channel;
  }

  /** post_edited to the channel's members, the post prepared as a REST read prepares it. */
  #publishEdited(post: PostRecord, channel: ChannelRecord): void {
    this.#events.publish(
      "post_edited",
      { post: JSON.stringify(this.#tables.postForClient(post)) },
      { channel_id: channel.id },
      (uid) => this.#tables.isChannelMember(channel.id, uid),
    );
    this.#events.changed();
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
