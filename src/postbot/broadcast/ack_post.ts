/**
 * What a broadcast post asking for acknowledgement carries, in its props: one message
 * attachment saying what to do and how many have done it, with an Acknowledge button when the
 * server can call the bot back (`ACTIONS_URL`), else the request to react with
 * :white_check_mark:. The button's integration carries the token of the post's recipient
 * (ack_token.ts), which the server keeps to itself.
 *
 * The same props are written again when the count changes (`PUT /posts/{id}/patch` replaces
 * every prop, so they are always written whole, the broadcast's tag included).
 *
 * @module
 */

import type { ActionTokens } from "./ack_token.ts";
import { BROADCAST_PROP } from "./copies.ts";
import { targetKey, type TargetRef } from "./model.ts";

/** The emoji whose reaction acknowledges a post (its name, as the server spells it). */
export const ACK_EMOJI = "white_check_mark";

/** The id of the Acknowledge button (the click's `/actions/{id}`). */
export const ACK_ACTION_ID = "postbotack";

/** The path of the bot's endpoint for clicks, under `ACTIONS_URL`. */
export const ACK_ACTION_PATH = "/actions/ack";

/** What a click of the button hands back to the bot (the action's `context`). */
export interface AckContext {
  readonly broadcast: string;
  /** The recipient: `c:<channel id>` or `p:<user id>` (see targetKey). */
  readonly recipient: string;
  readonly token: string;
}

/** How many acknowledged one post so far, for its text. */
export interface AckCount {
  readonly acknowledged: number;
}

/** Builds the props of posts that ask for acknowledgement. */
export interface AckRequest {
  /** Whether recipients acknowledge with a button (else with a reaction). */
  readonly buttons: boolean;
  /**
   * The props of broadcast `broadcastId`'s post to `target`, the broadcast's tag included;
   * `count` is how many acknowledged it so far (0 when it is posted).
   */
  props(
    broadcastId: string,
    target: TargetRef,
    count: AckCount,
  ): Promise<Record<string, unknown>>;
}

/** The attachment's words for a post with `n` acknowledgements. */
export function ackText(target: TargetRef, n: number, buttons: boolean): string {
  const how = buttons ? "click **Acknowledge**" : `react with :${ACK_EMOJI}:`;
  if (target.kind === "person") {
    return n > 0
      ? `:${ACK_EMOJI}: You acknowledged this. Thank you.`
      : `Please confirm that you have read this: ${how}.`;
  }
  const so = n === 0 ? "" : ` :${ACK_EMOJI}: ${n} acknowledged so far.`;
  return `Please confirm that you have read this: ${how}.${so}`;
}

/** The props builder of a running bot. */
export class AckPosts implements AckRequest {
  readonly buttons: boolean;
  readonly #url: string | undefined;
  readonly #tokens: ActionTokens;

  /** `actionsUrl` is `ACTIONS_URL` (undefined: reactions only). */
  constructor(actionsUrl: string | undefined, tokens: ActionTokens) {
    this.#url = actionsUrl === undefined
      ? undefined
      : `${actionsUrl.replace(/\/+$/, "")}${ACK_ACTION_PATH}`;
    this.buttons = this.#url !== undefined;
    this.#tokens = tokens;
  }

  async props(
    broadcastId: string,
    target: TargetRef,
    count: AckCount,
  ): Promise<Record<string, unknown>> {
    const attachment: Record<string, unknown> = {
      fallback: "Please confirm that you have read this.",
      text: ackText(target, count.acknowledged, this.buttons),
      color: "#2389d7",
    };
    const done = target.kind === "person" && count.acknowledged > 0;
    if (this.#url !== undefined && !done) {
      const recipient = targetKey(target);
      const context: AckContext = {
        broadcast: broadcastId,
        recipient,
        token: await this.#tokens.sign(broadcastId, recipient),
      };
      attachment.actions = [{
        id: ACK_ACTION_ID,
        name: "Acknowledge",
        type: "button",
        style: "primary",
        integration: { url: this.#url, context },
      }];
    }
    return { [BROADCAST_PROP]: broadcastId, attachments: [attachment] };
  }
}
