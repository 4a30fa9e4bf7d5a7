/**
 * What the server sends for stored objects: sanitized users and teams, posts decorated with
 * their metadata (PreparePostForClient), post lists. Pure functions over records.
 */

import type {
  FileInfoRecord,
  PostRecord,
  ReactionRecord,
  TeamRecord,
  UserRecord,
} from "./records.ts";

/** A user as seen by `viewerId`: the full record for oneself, sanitized for others (User.SanitizeProfile). */
export function userView(user: UserRecord, viewerId: string): Record<string, unknown> {
  const view: Record<string, unknown> = { ...structuredClone(user) };
  if (viewerId !== user.id) {
    delete view.notify_props;
    delete view.last_password_update;
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

/**
 * A post with `metadata` as the server prepares it for clients: `files` and `reactions` only
 * when there are any (omitempty), and `has_reactions` on the post when it has reactions.
 */
export function postView(
  post: PostRecord,
  files: FileInfoRecord[],
  reactions: readonly ReactionRecord[] = [],
): Record<string, unknown> {
  const view: Record<string, unknown> = { ...structuredClone(post) };
  const metadata: Record<string, unknown> = {};
  if (files.length > 0) metadata.files = structuredClone(files);
  const live = reactions.filter((r) => r.delete_at === 0);
  if (live.length > 0) {
    metadata.reactions = structuredClone(live);
    view.has_reactions = true;
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
