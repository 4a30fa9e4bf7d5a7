/**
 * The shape of a Mattermost object id (channels, users, posts, teams, files).
 *
 * Mattermost generates every id as 26 characters of lowercase base32 (`[a-z0-9]`). Config
 * files and chat commands take channel ids from humans, so they are checked against this
 * shape before anything is stored or sent to the server: a typo is reported where it was
 * made instead of surfacing later as a 404 from the REST API.
 *
 * @module
 */

/** Length of every Mattermost id; exported so messages and tests can quote it. */
export const MATTERMOST_ID_LENGTH = 26;

const ID_PATTERN = /^[a-z0-9]{26}$/;

/**
 * True when `s` has the shape of a Mattermost id: exactly 26 characters, each a lowercase
 * ASCII letter or a digit. It says nothing about whether such an object exists.
 */
export function isMattermostId(s: string): boolean {
  return ID_PATTERN.test(s);
}

/**
 * Says, in words a chat user can act on, why `s` is not a Mattermost id, or returns
 * `undefined` when it is one. Used by config and command validation so every place that
 * rejects an id explains it the same way.
 */
export function mattermostIdProblem(s: string): string | undefined {
  if (isMattermostId(s)) return undefined;
  if (s.length === 0) return "it is empty";
  if (s.trim() !== s) return "it has spaces around it";
  if (/^[a-zA-Z0-9]{26}$/.test(s)) return "it has uppercase letters, and ids are all lowercase";
  const invalid = [...s].find((c) => !/[a-z0-9]/.test(c));
  if (invalid !== undefined) {
    return `it contains ${JSON.stringify(invalid)}, and ids are only lowercase letters and digits`;
  }
  return `it has ${[...s].length} characters instead of ${MATTERMOST_ID_LENGTH}`;
}
