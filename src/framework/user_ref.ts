/**
 * Entries of `ALLOWED_USERS` / `ADMIN_USERS`: each is a user id or a username, decided by its
 * form alone, so that a username can never match an id or the other way round (a user whose
 * username happens to equal an admin's id must not become admin).
 *
 * - exactly 26 lowercase letters and digits, without `@`: a **user id**;
 * - anything else: a **username** (an optional leading `@`, compared ignoring case), which
 *   must follow Mattermost's username rules: 3 to 22 characters, starting with a letter,
 *   then lowercase letters, digits, `.`, `-` or `_`.
 *
 * `@` + 26 lowercase letters and digits is therefore a username, and too long to be one.
 *
 * @module
 */

import { isMattermostId } from "./mattermost_id.ts";
import { unreachable } from "./unreachable.ts";
import { fail, ok, type Problem, type Result } from "./result.ts";

/** One entry of an access list: a user id or a username, never both. */
export type UserRef =
  | { readonly kind: "id"; readonly id: string }
  | { readonly kind: "username"; readonly username: string };

/** Shortest and longest Mattermost username. */
export const USERNAME_MIN = 3;
/** Longest Mattermost username (the server refuses longer ones). */
export const USERNAME_MAX = 22;

/** Names Mattermost reserves for mentions and system users: never a person's username. */
const RESERVED = new Set(["all", "channel", "here", "matterbot", "system"]);

/** Parses one entry as an operator wrote it, or says why it is neither an id nor a username. */
export function parseUserRef(entry: string): Result<UserRef, Problem> {
  const text = entry.trim();
  if (isMattermostId(text)) return ok({ kind: "id", id: text });
  const name = text.replace(/^@/, "").toLowerCase();
  const shown = JSON.stringify(entry);
  const expected = `a user id (26 lowercase letters and digits) or a username (@name: ` +
    `${USERNAME_MIN} to ${USERNAME_MAX} characters, starting with a letter, then letters, ` +
    `digits, ".", "-" or "_")`;
  if (/^[a-z0-9]{26}$/i.test(name)) {
    return fail(
      `${shown} is not a username: usernames have at most ${USERNAME_MAX} characters (to ` +
        "name a user id, write its 26 lowercase letters and digits without @)",
    );
  }
  if (!/^[a-z][a-z0-9._-]*$/.test(name)) {
    return fail(`${shown} is not ${expected}`);
  }
  if (name.length < USERNAME_MIN || name.length > USERNAME_MAX) {
    return fail(
      `${shown} is not a username: it has ${name.length} characters, and usernames have ` +
        `${USERNAME_MIN} to ${USERNAME_MAX}; expected ${expected}`,
    );
  }
  if (RESERVED.has(name)) {
    return fail(`${shown} is a name Mattermost reserves (@${name}), not a person's username`);
  }
  return ok({ kind: "username", username: name });
}

/** True when `ref` names this user: ids match ids only, usernames match usernames only. */
export function refersTo(ref: UserRef, userId: string, username: string): boolean {
  switch (ref.kind) {
    case "id":
      return ref.id === userId;
    case "username":
      return ref.username === username.replace(/^@/, "").toLowerCase();
    default:
      return unreachable(ref);
  }
}
