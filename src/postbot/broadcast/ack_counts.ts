/**
 * Keeps the count on each post that asks for acknowledgement up to date: when someone
 * acknowledges, the post's props are written again (`PUT /posts/{id}/patch`) with the new count.
 * Many acknowledgements of one post at once make one patch at a time and one more at most: a
 * change arriving while a patch is on its way is folded into the next, which reads the count
 * afresh. A patch replaces every prop, so the props are always written whole (ack_post.ts).
 *
 * @module
 */

import { logger, type RestTransport, Semaphore } from "@postbot/framework";
import type { AckRequest } from "./ack_post.ts";
import type { DeliveryRecord } from "./model.ts";

const log = logger("acknowledgements");

/** Posts patched at once. */
const AT_ONCE = 4;

/** What the counts are kept with. */
export interface AckCountDeps {
  readonly transport: RestTransport;
  readonly ack: AckRequest;
  /** How many acknowledged through a post now. */
  readonly count: (broadcastId: string, postId: string) => Promise<number>;
}

/** One post's patching: the one in flight, and whether another must follow it. */
interface PostState {
  running: Promise<void>;
  again: boolean;
}

/** Brings the counts on posts up to date, coalescing changes. */
export class AckCounts {
  readonly #deps: AckCountDeps;
  readonly #posts = new Map<string, PostState>();
  readonly #slots = new Semaphore(AT_ONCE);

  constructor(deps: AckCountDeps) {
    this.#deps = deps;
  }

  /** The count of the post of delivery `d` (of broadcast `broadcastId`) changed. */
  changed(broadcastId: string, d: DeliveryRecord): void {
    const postId = d.postId;
    if (postId === null) return;
    const state = this.#posts.get(postId);
    if (state !== undefined) {
      state.again = true;
      return;
    }
    const fresh: PostState = { running: Promise.resolve(), again: false };
    fresh.running = this.#patchUntilCurrent(broadcastId, d, postId, fresh);
    this.#posts.set(postId, fresh);
  }

  /** Resolves once no patch is on its way (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#posts.size > 0) {
      await Promise.all([...this.#posts.values()].map((s) => s.running));
    }
  }

  async #patchUntilCurrent(
    broadcastId: string,
    d: DeliveryRecord,
    postId: string,
    state: PostState,
  ): Promise<void> {
    try {
      do {
        state.again = false;
        await this.#slots.run(() => this.#patch(broadcastId, d, postId));
      } while (state.again);
    } finally {
      this.#posts.delete(postId);
    }
  }

  async #patch(broadcastId: string, d: DeliveryRecord, postId: string): Promise<void> {
    const { transport, ack, count } = this.#deps;
    try {
      const acknowledged = await count(broadcastId, postId);
      const props = await ack.props(broadcastId, d, { acknowledged });
      const response = await transport.send(transport.api(`/posts/${postId}/patch`), {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        // The server keeps no prop a patch leaves out, from_bot included.
        body: JSON.stringify({ props: { ...props, from_bot: "true" } }),
      });
      await response.text();
    } catch (e) {
      log.warn("Could not update the count on post {post} of {id}: {error}", {
        post: postId,
        id: broadcastId,
        error: e,
      });
    }
  }
}
