/**
 * What the channels tests share: three valid channel ids and a sample channels.toml. A
 * `_test` module holding no tests itself, so test data stays out of the app's import graph.
 *
 * @module
 */

/** A valid channel id. */
export const A = "abcdefghijklmnopqrstuvwxyz";
/** Another valid channel id. */
export const B = "0123456789abcdefghijklmnop";
/** A third valid channel id. */
export const C = "zzzzzzzzzzzzzzzzzzzzzzzzzz";

/**
 * A channels.toml shaped like the README's example, comments and all: a whitelist, both group
 * tables (one public group more than the README's), an alias.
 */
export const SAMPLE_CHANNELS_TOML = `# Channels anyone may target by name
whitelist = ["town-square", "announcements"]

[groups]            # public groups: listed to every user
"All offices" = ["${A}", "${B}"]   # ids are 26 lowercase alphanumerics
Engineering = ["${A}"]

[private_groups]    # usable by name, never listed in the wizard
"Managers" = ["${C}"]

[aliases]           # lowercase alias -> group name or whitelisted channel name
all = "All offices"
`;
