/**
 * Another program in the bot's DMs: an account that answers every post of postbot with a
 * fixed text, the way an out-of-office responder or a careless bot does. Against a bot that
 * answers everything, the two talk forever; the tests use it to show that postbot does not.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import { isSystemPost, type Person, type Scenario } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";

/** Answers each new post of postbot in `person`'s DM with `text`, until {@link stop}. */
export class AutoReplier {
  readonly #scenario: Scenario;
  readonly #person: Person;
  readonly #text: string;
  readonly #channelId: string;
  readonly #answered = new Set<string>();
  #running = true;
  readonly #loop: Promise<void>;

  constructor(s: Scenario, person: Person, text: string) {
    this.#scenario = s;
    this.#person = person;
    this.#text = text;
    this.#channelId = s.dmChannel(person).id;
    this.#loop = this.#run();
  }

  /** Posts of postbot this responder has answered so far. */
  get answered(): number {
    return this.#answered.size;
  }

  /** Posts a message of its own (to start the conversation), with optional props. */
  send(message: string, props?: Record<string, unknown>): Promise<Post> {
    return postWithProps(this.#scenario, this.#person, this.#channelId, message, props);
  }

  /** Postbot's posts in the DM (system posts left out), oldest first. */
  async botPosts(): Promise<Post[]> {
    return (await this.#scenario.postsIn(this.#channelId)).filter((p) =>
      p.user_id === this.#scenario.world.bot.user.id && !isSystemPost(p)
    );
  }

  /** True when every post of postbot so far has been answered. */
  async caughtUp(): Promise<boolean> {
    return (await this.botPosts()).every((p) => this.#answered.has(p.id));
  }

  /** Stops answering; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      for (const post of await this.botPosts()) {
        if (!this.#running || this.#answered.has(post.id)) continue;
        this.#answered.add(post.id);
        await this.send(this.#text);
      }
      await new Promise((resolve) => setTimeout(resolve, this.#scenario.server.pollIntervalMs));
    }
  }
}

/** Posts as `person` over REST with the given props (what any API client may send). */
export async function postWithProps(
  s: Scenario,
  person: Person,
  channelId: string,
  message: string,
  props?: Record<string, unknown>,
): Promise<Post> {
  if (props === undefined) return await postAs(s.url, person.token, channelId, message, [], s.http);
  const r = await fetch(`${s.url}/api/v4/posts`, {
    method: "POST",
    headers: { Authorization: `Bearer ${person.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ channel_id: channelId, message, props }),
    client: s.http,
  });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${await r.text()}`);
  return await r.json();
}
