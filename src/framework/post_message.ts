/**
 * Posting the bot's own messages (replies, reports, notices). Unlike a broadcast, a notice
 * that arrives twice is a small blemish while one that never arrives leaves a person
 * uninformed, so a failed post is sent again on transient errors.
 *
 * @module
 */

import { backoffDelay, type BackoffPolicy, delay } from "./backoff.ts";
import { MattermostError } from "./mattermost_error.ts";
import type { RestTransport } from "./rest.ts";
import { splitIntoPosts } from "./text.ts";

const BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 4_000 };

/** Sends one post of at most the size limit; how is up to the caller. */
export type SendPost = (message: string) => Promise<unknown>;

/** A {@link SendPost} for one channel through the REST transport. */
export function sendTo(transport: RestTransport, channelId: string): SendPost {
  return async (message) => {
    const response = await transport.send(transport.api("/posts"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel_id: channelId, message }),
    });
    // Read it: an answer left unread keeps its time limit (and connection) for a minute.
    await response.text().catch(() => {});
  };
}

/**
 * Posts `text`, split under the size limit, sending a part again on 5xx and network errors.
 *
 * @example A notice to a channel, however long
 * ```ts
 * import { postMessage, type RestTransport, sendTo } from "@postbot/framework";
 *
 * declare const transport: RestTransport;
 * await postMessage(sendTo(transport, "4xp9fdt7pbgium38k4x5f5wmbr"), "Nightly export done.");
 * ```
 */
export async function postMessage(send: SendPost, text: string, attempts = 3): Promise<void> {
  for (const part of splitIntoPosts(text)) {
    for (let attempt = 1;; attempt++) {
      try {
        await send(part);
        break;
      } catch (e) {
        const retry = e instanceof MattermostError && e.transient && e.kind !== "rate_limited";
        if (!retry || attempt >= attempts) throw e;
        await delay(backoffDelay(BACKOFF, attempt));
      }
    }
  }
}
