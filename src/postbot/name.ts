/**
 * The app's name where the framework needs one: the root of every log category
 * (`postbot*main: ...`), "postbot cannot start: ..." before the bot exits, and the database's
 * "newer than this postbot" refusal. One place, so the wording operators see stays put.
 *
 * @module
 */

/** The name operators know the bot by. */
export const APP_NAME = "postbot";
