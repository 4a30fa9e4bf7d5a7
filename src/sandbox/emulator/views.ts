/**
 * What the server sends for stored objects: sanitized users and teams, posts decorated with
 * their metadata (PreparePostForClient), post lists. Pure functions over records.
 */

import type { FileInfoRecord, PostRecord, TeamRecord, UserRecord } from "./records.ts";

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

/** A post with `metadata` ({} or {files: [...]}) as the server prepares it for clients. */
export function postView(post: PostRecord, files: FileInfoRecord[]): Record<string, unknown> {
  const view: Record<string, unknown> = { ...structuredClone(post) };
  view.metadata = files.length > 0 ? { files: structuredClone(files) } : {};
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
