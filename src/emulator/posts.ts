/**
 * Creating posts as the server does: POST /posts' checks in its order (permissions, archived
 * channel, root, lengths, file ids, NUL), the poster's files attached, the channel's times and
 * counters moved, mentions counted, `posted` published; and the system posts the server
 * writes itself when someone joins or leaves.
 */

import type { Post } from "@mattermost/types/posts";
import { withActionIds } from "./attachments.ts";
import type { EmulatorConfig } from "./config.ts";
import { AppError, permissionError } from "./http.ts";
import { newId } from "./ids.ts";
import type { FileStore } from "./files.ts";
import type { MembershipStore } from "./memberships.ts";
import { notifiedMembers } from "./mentions.ts";
import { canCreatePost, canUploadFile } from "./permissions.ts";
import type { Presence } from "./presence.ts";
import { checkPriority, checkPrioritySaves, priorityOf } from "./priority.ts";
import type { ChannelRecord, PostRecord, PriorityRecord, UserRecord } from "./records.ts";
import { isRestrictedDm } from "./restricted_dm.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** Longest message in runes (model.PostMessageMaxRunesV2). */
export const POST_MESSAGE_MAX_RUNES = 16_383;
/** Longest JSON encoding of file_ids in runes (model.PostFileidsMaxRunes): 10 ids fit, 11 do not. */
export const POST_FILEIDS_MAX_RUNES = 300;

/** What createPost accepts (REST body or seeding call). */
export interface PostInput {
  channel_id: string;
  message: string;
  file_ids?: string[];
  props?: Record<string, unknown>;
  root_id?: string;
  pending_post_id?: string;
  /** A past creation time: only system admins may set it over REST (imports, seeding). */
  create_at?: number;
  /** A system post type (`system_join_team`...): never over REST, only server-side seeding. */
  type?: string;
  /** The body's `metadata`: only `priority` is read (see priority.ts). */
  metadata?: unknown;
}

/** What a test or seeding call posts with `createPost` (a REST body without the client's id). */
export type CreatePostInput = Omit<PostInput, "pending_post_id">;

/** Post types the server saves without counting them in total_msg_count (IsJoinLeaveMessage). */
const JOIN_LEAVE_TYPES = new Set([
  "system_join_leave",
  "system_join_channel",
  "system_leave_channel",
  "system_join_team",
  "system_leave_team",
  "system_add_remove",
  "system_add_to_channel",
  "system_remove_from_channel",
  "system_add_to_team",
  "system_remove_from_team",
]);

/** What creating a post needs besides the tables. */
export interface PostStoreDeps {
  readonly config: EmulatorConfig;
  readonly files: FileStore;
  readonly memberships: MembershipStore;
  readonly presence: Presence;
}

/** New posts, by users and by the server. */
export class PostStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #deps: PostStoreDeps;

  /** A store over the shared tables, announcing through `events`. */
  constructor(tables: Tables, events: StoreEvents, deps: PostStoreDeps) {
    this.#tables = tables;
    this.#events = events;
    this.#deps = deps;
  }

  /**
   * POST /posts (createPost -> CreatePostAsUser -> CreatePost): permission checks, archived
   * channel, root, length limits; then attaches only the poster's unattached files and drops
   * the rest silently (attachFilesToPost), saves, and publishes `posted`.
   */
  submitPost(userId: string, input: PostInput, setOnline = true): PostRecord {
    const priority = priorityOf(input.metadata);
    const { channel, rootId, message, fileIds } = this.#checkPost(userId, input, priority);
    const user = this.#tables.users.get(userId)!;
    const props: Record<string, unknown> =
      input.props && typeof input.props === "object" && !Array.isArray(input.props)
        ? structuredClone(input.props)
        : {};
    delete props.add_channel_member;
    delete props.force_notification;
    if (user.is_bot) props.from_bot = "true";
    withActionIds(props);
    const backdated = typeof input.create_at === "number" && input.create_at > 0;
    const post = newPostRecord({
      at: backdated ? input.create_at! : this.#tables.nextPostTime(),
      user_id: userId,
      channel_id: channel.id,
      root_id: rootId,
      message,
      type: typeof input.type === "string" ? input.type : "",
      props,
      hashtags: hashtagsOf(message),
    });
    if (priority !== undefined) post.priority = priority;
    this.#deps.files.attach(post, fileIds);
    this.#save(post, channel);
    if (setOnline) this.#deps.presence.touched(userId);
    this.#deps.memberships.countMentions(post, this.#mentionsOf(post, channel));
    this.#publishPosted(post, channel, user, setOnline, input.pending_post_id ?? "");
    // CreatePostAsUser marks the channel viewed for the poster, except for posts from a bot
    // (CreatePost sets from_bot first), from a webhook, or replies under collapsed threads
    // (on by default). So a bot's own answers leave its msg_count where it was.
    if (!("from_bot" in props) && !("from_webhook" in props) && rootId === "") {
      this.#deps.memberships.viewChannels(userId, [channel.id]);
    }
    this.#events.changed();
    return post;
  }

  /**
   * A post as clients get it, typed as the client library's Post; by default as a REST read
   * returns it, except that a deleted post keeps its content (for tests to inspect).
   */
  clientPost(post: PostRecord, opts: { priority?: "stored" | "echo" } = {}): Post {
    return this.#tables.postForClient(post, { retainContent: true, ...opts }) as unknown as Post;
  }

  /**
   * The system post the server writes when a user joins a team or channel by themselves
   * (postJoinTeamMessage / postJoinChannelMessage): under the joining user's id, with
   * `props.username`, and `props.from_bot: "true"` when the user is a bot (CreatePost).
   */
  writeJoinPost(channel: ChannelRecord, userId: string, what: "team" | "channel"): void {
    const user = this.#tables.users.get(userId)!;
    const props: Record<string, unknown> = { username: user.username };
    if (user.is_bot) props.from_bot = "true";
    this.writeSystemPost(
      channel,
      user,
      what === "team" ? "system_join_team" : "system_join_channel",
      `${user.username} joined the ${what}.`,
      props,
    );
  }

  /**
   * A post the server writes itself (join and leave messages) under `user`'s id: saved (a
   * join/leave post moves last_post_at but is not counted) and published as `posted`.
   */
  writeSystemPost(
    channel: ChannelRecord,
    user: UserRecord,
    type: string,
    message: string,
    props: Record<string, unknown>,
  ): void {
    const post = newPostRecord({
      at: this.#tables.nextPostTime(),
      user_id: user.id,
      channel_id: channel.id,
      root_id: "",
      message,
      type,
      props,
      hashtags: "",
    });
    this.#save(post, channel);
    this.#publishPosted(post, channel, user, true, "");
  }

  /** Whom a post notifies (what `posted` events carry as `mentions`): for tests. */
  mentionedBy(postId: string): string[] {
    const post = this.#tables.posts.get(postId);
    const channel = post && this.#tables.channels.get(post.channel_id);
    return post && channel ? this.#mentionsOf(post, channel) : [];
  }

  /**
   * createPost's checks, in the server's order: permissions, archived channel, root, message
   * length, file ids (de-duplicated and sorted, as Post.PreSave does), and the NUL that
   * PostgreSQL refuses. Throws the AppError the server would answer with.
   */
  #checkPost(userId: string, input: PostInput, priority: PriorityRecord | undefined): {
    channel: ChannelRecord;
    rootId: string;
    message: string;
    fileIds: string[];
  } {
    const channelId = typeof input.channel_id === "string" ? input.channel_id : "";
    const fileIds = Array.isArray(input.file_ids) ? input.file_ids.map(String) : [];
    if (!canCreatePost(this.#tables, userId, channelId)) throw permissionError();
    if (fileIds.length > 0 && !canUploadFile(this.#tables, userId, channelId)) {
      throw permissionError();
    }
    const rootId = typeof input.root_id === "string" ? input.root_id : "";
    checkPriority(priority, rootId, this.#deps.config.postPriority);
    const channel = this.#tables.channels.get(channelId)!;
    if (channel.delete_at !== 0) {
      throw new AppError("api.post.create_post.can_not_post_to_deleted.error", 400);
    }
    if (isRestrictedDm(this.#tables, this.#deps.config, channel)) {
      throw new AppError("api.post.create_post.can_not_post_in_restricted_dm.error", 400);
    }
    if (rootId !== "") this.#checkRoot(rootId, channelId);
    const message = typeof input.message === "string" ? input.message : "";
    checkMessageLength(message);
    // Post.PreSave de-duplicates file_ids by sorting them (model.RemoveDuplicateStrings): a
    // post's files come back in id order, not in the order they were given.
    const uniqueFileIds = [...new Set(fileIds)].sort();
    if (runeCount(JSON.stringify(uniqueFileIds)) > POST_FILEIDS_MAX_RUNES) {
      throw new AppError("model.post.is_valid.file_ids.app_error", 400);
    }
    // PostgreSQL cannot store U+0000 in text: the insert fails and the server answers 500.
    if (message.includes("\u0000")) throw new AppError("app.post.save.app_error", 500);
    checkPrioritySaves(priority);
    return { channel, rootId, message, fileIds: uniqueFileIds };
  }

  /** A reply's root must exist, not be deleted, not be a reply itself, and be in the channel. */
  #checkRoot(rootId: string, channelId: string): void {
    const root = this.#tables.posts.get(rootId);
    if (!root || root.delete_at !== 0 || root.root_id !== "") {
      throw new AppError("api.post.create_post.root_id.app_error", 400);
    }
    if (root.channel_id !== channelId) {
      throw new AppError("api.post.create_post.channel_root_id.app_error", 400);
    }
  }

  /**
   * Stores a post and moves its channel's times and counts as SqlPostStore.SaveMultiple does:
   * GREATEST for the times; join/leave posts are not counted; a reply updates its root.
   */
  #save(post: PostRecord, channel: ChannelRecord): void {
    this.#tables.indexPost(post);
    const at = post.create_at;
    channel.last_post_at = Math.max(channel.last_post_at, at);
    const counted = JOIN_LEAVE_TYPES.has(post.type) ? 0 : 1;
    channel.total_msg_count += counted;
    if (post.root_id === "") {
      channel.last_root_post_at = Math.max(channel.last_root_post_at, at);
      channel.total_msg_count_root += counted;
    } else {
      const root = this.#tables.posts.get(post.root_id)!;
      root.last_reply_at = at;
      root.update_at = at;
    }
  }

  #publishPosted(
    post: PostRecord,
    channel: ChannelRecord,
    sender: UserRecord,
    setOnline: boolean,
    pendingPostId: string,
  ): void {
    // CreatePost prepares the post once, for the answer and this event: the priority as the
    // client sent it.
    const view = this.#tables.postForClient(post, { priority: "echo" });
    view.pending_post_id = pendingPostId;
    const data: Record<string, unknown> = {
      channel_display_name: channel.type === "D" ? `@${sender.username}` : channel.display_name,
      channel_name: channel.name,
      channel_type: channel.type,
      post: JSON.stringify(view),
      sender_name: `@${sender.username}`,
      set_online: setOnline,
      team_id: channel.team_id,
    };
    const files = this.#tables.filesOf(post);
    if (files.length > 0) {
      data.otherFile = "true";
      if (files.some((f) => f.mime_type.startsWith("image/"))) data.image = "true";
    }
    const mentions = this.#mentionsOf(post, channel);
    if (mentions.length > 0) data.mentions = JSON.stringify(mentions);
    this.#events.publish(
      "posted",
      data,
      { channel_id: channel.id },
      (uid) => this.#tables.isChannelMember(channel.id, uid),
    );
  }

  #mentionsOf(post: PostRecord, channel: ChannelRecord): string[] {
    const others = this.#tables.channelMemberRecords(channel.id)
      .map((m) => m.user_id)
      .filter((id) => id !== post.user_id);
    return notifiedMembers(post.message, channel.type === "D", others, {
      username: (id) => this.#tables.users.get(id)?.username,
      isOnline: (id) => this.#deps.presence.isOnline(id),
    });
  }
}

/** model.Post.IsValid's length rule: at most POST_MESSAGE_MAX_RUNES runes, else 400. */
export function checkMessageLength(message: string): void {
  const length = runeCount(message);
  if (length > POST_MESSAGE_MAX_RUNES) {
    throw new AppError("model.post.is_valid.message_length.app_error", 400, {
      Length: length,
      MaxLength: POST_MESSAGE_MAX_RUNES,
    });
  }
}

function runeCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The hashtags the server stores with a post (model.ParseHashtags, simplified). */
export function hashtagsOf(message: string): string {
  const tags = message.match(/(?<=^|\s)#[A-Za-z][A-Za-z0-9_.-]{2,}/g) ?? [];
  return [...new Set(tags)].join(" ");
}

/** A new, unattached post record at `at` (create and update time) with the given fields. */
function newPostRecord(
  fields:
    & Pick<
      PostRecord,
      "user_id" | "channel_id" | "root_id" | "message" | "type" | "props" | "hashtags"
    >
    & { readonly at: number },
): PostRecord {
  return {
    id: newId(),
    create_at: fields.at,
    update_at: fields.at,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: fields.user_id,
    channel_id: fields.channel_id,
    root_id: fields.root_id,
    original_id: "",
    message: fields.message,
    type: fields.type,
    props: fields.props,
    hashtags: fields.hashtags,
    file_ids: [],
    pending_post_id: "",
    reply_count: 0,
    last_reply_at: 0,
    participants: null,
  };
}
