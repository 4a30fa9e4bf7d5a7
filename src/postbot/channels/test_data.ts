/**
 * What the channels tests share: three valid channel ids and the documented example of
 * channels.toml (README and the design notes show the same file).
 *
 * @module
 */

/** A valid channel id. */
export const A = "abcdefghijklmnopqrstuvwxyz";
/** Another valid channel id. */
export const B = "0123456789abcdefghijklmnop";
/** A third valid channel id. */
export const C = "zzzzzzzzzzzzzzzzzzzzzzzzzz";

/** The documented channels.toml, comments and all: a whitelist, both group tables, an alias. */
export const DESIGN_EXAMPLE = `# Channels anyone may target by name
whitelist = ["town-square", "announcements"]

[groups]            # public groups: listed to every user
"All offices" = ["${A}", "${B}"]   # ids are 26 lowercase alphanumerics
Engineering = ["${A}"]

[private_groups]    # usable by name, never listed in the wizard
"Managers" = ["${C}"]

[aliases]           # lowercase alias -> group name or whitelisted channel name
all = "All offices"
`;
