/**
 * Answers that arrive when nothing is open. With no conversation, every message that is not a
 * command starts a broadcast of itself -- so a `no` sent after a preview had already lapsed,
 * a `yes` sent twice, a `thanks` or a command typed without its `!` would become a broadcast
 * of that word, one group name and one `yes` away from a channel. A message that is only such
 * a word is answered for what it is instead, and nothing starts.
 *
 * Recognised (any case, with surrounding spaces, punctuation, quotes or markdown emphasis):
 * a cancel (`cancel`, `no`, `stop`, `abort`, `quit`, `nevermind`, ...), a confirmation (`yes`,
 * `yes 12`, `yes ack urgent`, `ok`, `send it`, ...), a send time (`at 9:00`, `in 2h`, as the preview takes
 * them), a thank-you, and a bare command name (`undo`, `/status`).
 *
 * @module
 */

import { describeDuration, SETTING } from "@postbot/framework/duration";
import { code } from "../format.ts";
import { parseSendTime } from "../broadcast/scheduled/time_expression.ts";
import { bareWords } from "./conversation.ts";
import { parsePreviewAnswer } from "./preview_answer.ts";

/** What a message with nothing open turned out to be. */
export type StrayAnswer =
  | { readonly kind: "cancel" }
  | { readonly kind: "confirm" }
  | { readonly kind: "schedule" }
  | { readonly kind: "thanks" }
  | { readonly kind: "command"; readonly name: string };

const CANCEL =
  /^(?:cancel|abort|stop|quit|exit|halt|no|n|nope|nah|never ?mind|nvm|forget it)(?: (?:it|that|this|please|thanks|thank you))?$/;
const CONFIRM =
  /^(?:(?:yes|y)(?: \d{1,7})?|yep|yeah|yup|ok|okay|k|sure|confirm|confirmed|send|send it|go|go ahead|do it)(?: (?:please|thanks|thank you))?$/;
const THANKS =
  /^(?:thanks|thank you|thx|ty|cheers|great|cool|perfect|nice|got it|:\+1:|:thumbsup:|:ok_hand:|\u{1F44D}|\u{1F44C})(?: (?:a lot|very much|so much))?$/u;

/** Longer messages are never stray answers (and are not normalised at all). */
const LONGEST = 40;

/**
 * What a message is when nothing is open, or undefined for an ordinary message (the start of
 * a broadcast). `commands` are the command names (and aliases) without `!`.
 */
export function strayAnswer(text: string, commands: ReadonlySet<string>): StrayAnswer | undefined {
  if (text.length > LONGEST) return undefined;
  // Emoji shortcodes keep their colons; everything else loses its punctuation.
  const emoji = /^\s*(:[a-z0-9_+-]+:)\s*$/i.exec(text);
  const words = emoji !== null ? emoji[1].toLowerCase() : bareWords(text);
  if (words === "") return undefined;
  if (CANCEL.test(words)) return { kind: "cancel" };
  // A yes with the preview's options (`yes ack urgent`) is a confirmation too.
  const answer = parsePreviewAnswer(words);
  if (CONFIRM.test(words) || answer.kind === "yes") return { kind: "confirm" };
  if (THANKS.test(words)) return { kind: "thanks" };
  if (answer.kind === "later" && parseSendTime(answer.expression, "UTC", Date.now()).ok) {
    return { kind: "schedule" };
  }
  const command = /^\/?([a-z_]+)$/.exec(words);
  if (command !== null && commands.has(command[1])) return { kind: "command", name: command[1] };
  return undefined;
}

const TO_BROADCAST = "To broadcast, send me the message itself.";

/** The answer to a stray message; `sessionTtlSeconds` says how long a question waits. */
export function strayAnswerText(answer: StrayAnswer, sessionTtlSeconds: number): string {
  switch (answer.kind) {
    case "cancel":
      return "There is nothing to cancel: no broadcast or question of mine is open, so I did " +
        `nothing. A scheduled broadcast is cancelled with ${code("!cancel <id>")} ` +
        `(${code("!scheduled")} lists them). ${TO_BROADCAST}`;
    case "confirm":
      return "There is nothing to confirm: no broadcast is waiting for your yes, so nothing " +
        `was sent. A preview waits ${
          describeDuration(sessionTtlSeconds * 1000, SETTING)
        } for its answer; ` +
        `${code("!history")} shows what you sent. ${TO_BROADCAST}`;
    case "schedule":
      return "There is nothing to schedule: no broadcast is waiting for a send time. Send me " +
        `the message first, then answer its preview with ${code("at <time>")}.`;
    case "thanks":
      return `You're welcome! Nothing is open. ${TO_BROADCAST}`;
    case "command":
      return `Did you mean ${code(`!${answer.name}`)}? Commands start with ${code("!")}; ` +
        `I did nothing. ${TO_BROADCAST}`;
  }
}
