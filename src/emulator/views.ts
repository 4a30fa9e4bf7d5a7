/**
 * What the server sends for stored objects: sanitized users and teams, posts decorated with
 * their metadata (PreparePostForClient), post lists. Pure functions over records.
 */

import { strippedProps } from "./attachments.ts";
import type {
  ChannelMemberRecord,
  FileInfoRecord,
  PostRecord,
  ReactionRecord,
  TeamRecord,
  UserRecord,
} from "./records.ts";

/** A user as seen by `viewerId`: the full record for oneself, sanitized for others (User.SanitizeProfile). */
export function userView(user: UserRecord, viewerId: string): Record<string, unknown> {
  const view: Record<string, unknown> = { ...structuredClone(user) };
  // model.User's `props` is omitempty.
  if (Object.keys(user.props).length === 0) delete view.props;
  if (viewerId !== user.id) {
    delete view.notify_props;
    delete view.last_password_update;
  }
  return view;
}

/**
 * A channel membership as `viewerId` gets it (ChannelMember.SanitizeForCurrentUser): someone
 * else's `last_viewed_at` and `last_update_at` read -1 -- to everyone, system admins
 * included; the counters (msg_count, mention_count...) stay.
 */
export function memberView(member: ChannelMemberRecord, viewerId: string): ChannelMemberRecord {
  const view = structuredClone(member);
  if (member.user_id !== viewerId) {
    view.last_viewed_at = -1;
    view.last_update_at = -1;
  }
  return view;
}

/** A team; email and invite id are blanked unless the viewer may manage it (App.SanitizeTeam). */
export function teamView(team: TeamRecord, canManage: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { ...team };
  if (!canManage) {
    view.email = "";
    view.invite_id = "";
  }
  return view;
}

/** How a post is prepared for a client (PreparePostForClient and its options). */
export interface PostViewOptions {
  /** Live files attached to the post. */
  readonly files: readonly FileInfoRecord[];
  /** The post's reactions (deleted ones are left out). */
  readonly reactions: readonly ReactionRecord[];
  /**
   * `metadata.embeds` (PreparePostForClientWithEmbedsAndImages): a post with attachments gets
   * `[{type: "message_attachment"}]`. POST /posts/ids prepares posts without them.
   */
  readonly embeds?: boolean;
  /** A deleted post keeps its message and metadata (RetainContent); otherwise both go. */
  readonly retainContent?: boolean;
  /**
   * `metadata.priority`: "stored" as read back from the database (with `PostId` and
   * `ChannelId`, root posts only), "echo" as the client sent it (the answer to POST /posts and
   * its `posted` event), or left out.
   */
  readonly priority?: "stored" | "echo" | "none";
}

/**
 * A post as the server hands it to clients: props without any action's `integration`
 * (StripActionIntegrations); `metadata` with `files` and `reactions` only when there are any
 * (omitempty), `embeds` and `priority` as the options say; `has_reactions` when it has
 * reactions. A deleted post (unless `retainContent`) has an empty message and metadata.
 */
export function postView(post: PostRecord, opts: PostViewOptions): Record<string, unknown> {
  const { priority: stored, ...rest } = post;
  const view: Record<string, unknown> = { ...structuredClone(rest) };
  view.props = strippedProps(post.props);
  const live = opts.reactions.filter((r) => r.delete_at === 0);
  if (live.length > 0) view.has_reactions = true;
  if (post.delete_at > 0 && !opts.retainContent) {
    view.message = "";
    view.metadata = {};
    return view;
  }
  const metadata: Record<string, unknown> = {};
  // getEmbedForPost: the key alone counts, even when its value is null.
  if (opts.embeds && "attachments" in post.props) {
    metadata.embeds = [{ type: "message_attachment" }];
  }
  if (opts.files.length > 0) metadata.files = structuredClone(opts.files);
  if (live.length > 0) metadata.reactions = structuredClone(live);
  if (stored !== undefined && post.root_id === "" && opts.priority === "echo") {
    metadata.priority = { ...stored };
  } else if (stored !== undefined && post.root_id === "" && opts.priority === "stored") {
    metadata.priority = { ...stored, PostId: post.id, ChannelId: post.channel_id };
  }
  view.metadata = metadata;
  return view;
}

/** The PostList body of GET /channels/{id}/posts. */
export function postListView(
  order: string[],
  posts: Record<string, unknown>[],
  nextPostId: string,
  prevPostId: string,
): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const p of posts) map[p.id as string] = p;
  return {
    order,
    posts: map,
    next_post_id: nextPostId,
    prev_post_id: prevPostId,
    first_inaccessible_post_time: 0,
  };
}
