/**
 * Claims of processed posts sent together: while one claim statement is in flight, the claims
 * that arrive wait and then go as one statement (one round trip, one fence check, one commit
 * for all of them). A claim that finds nothing in flight is sent at once, so a quiet bot waits
 * no longer than before; fifty users writing at once cost a few statements instead of fifty
 * (issue 23: on PostgreSQL each statement is a round trip to a server competing for the same
 * cores). Each claim still answers for itself: true only for the first claim of a post that no
 * one had claimed and only while this instance may act.
 *
 * @module
 */

/** A post to claim. */
export interface Claim {
  readonly postId: string;
  readonly channelId: string;
  readonly createAt: number;
}

/** Writes the claims (distinct post ids) in one statement; answers the post ids it wrote. */
export type ClaimWriter = (claims: readonly Claim[]) => Promise<ReadonlySet<string>>;

interface Waiting {
  readonly claim: Claim;
  readonly answer: PromiseWithResolvers<boolean>;
}

/** The most claims in one statement (three parameters each). */
export const MAX_BATCH = 64;

/** Claims gathered while a statement is in flight (see the module's doc). */
export class ClaimBatcher {
  readonly #write: ClaimWriter;
  readonly #waiting: Waiting[] = [];
  #sending = false;

  constructor(write: ClaimWriter) {
    this.#write = write;
  }

  /** Claims a post: true when this call recorded it (see the module's doc). */
  claim(claim: Claim): Promise<boolean> {
    const answer = Promise.withResolvers<boolean>();
    this.#waiting.push({ claim, answer });
    if (!this.#sending) void this.#send();
    return answer.promise;
  }

  async #send(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#waiting.length > 0) await this.#sendBatch(this.#waiting.splice(0, MAX_BATCH));
    } finally {
      this.#sending = false;
    }
  }

  async #sendBatch(batch: Waiting[]): Promise<void> {
    // The same post twice in a batch: the first claim is written, the others lose to it.
    const first = new Map<string, Waiting>();
    for (const w of batch) if (!first.has(w.claim.postId)) first.set(w.claim.postId, w);
    let written: ReadonlySet<string>;
    try {
      written = await this.#write([...first.values()].map((w) => w.claim));
    } catch (e) {
      for (const w of batch) w.answer.reject(e);
      return;
    }
    for (const w of batch) {
      w.answer.resolve(first.get(w.claim.postId) === w && written.has(w.claim.postId));
    }
  }
}
