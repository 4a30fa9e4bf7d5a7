/**
 * Helpers for the tests of what follows a broadcast (acknowledgements, reminders, priority):
 * the wizard walked with an answer of one's choice, the bot's action endpoint on a free port,
 * the rows of the bot's database, and the token a genuine button carries.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { DEFAULT_CHANNELS_TOML, type DmUser, type Person, type Scenario } from "@postbot/harness";
import { ActionTokens } from "../../src/postbot/broadcast/ack_token.ts";
import { botPostsIn, broadcastIdIn } from "./broadcasts.ts";
import { storeRow, storeRows } from "./store.ts";

/** The test world's channels.toml with ~random (alice, bob, the bot) whitelisted too. */
export const WITH_RANDOM = DEFAULT_CHANNELS_TOML.replace(
  'whitelist = ["town-square", "announcements"]',
  'whitelist = ["town-square", "announcements", "random"]',
);

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The environment of a bot that serves Acknowledge buttons on a free port of 127.0.0.1. */
export function buttonEnv(): { env: Record<string, string>; actions: string } {
  const port = freePort();
  return {
    env: { HEALTH_PORT: String(port), ACTIONS_URL: `http://127.0.0.1:${port}` },
    actions: `http://127.0.0.1:${port}/actions/ack`,
  };
}

/**
 * Runs the wizard with `yes` as the answer to the preview (e.g. `yes ack`); the preview, the
 * announcement, the broadcast id and the report.
 */
export async function broadcastWith(
  dm: DmUser,
  message: string,
  answer: string,
  yes: string,
): Promise<{ preview: string; sending: string; id: string; report: string }> {
  await dm.send(message);
  await dm.replyMatching(/Where should I send this/);
  await dm.send(answer);
  const preview = await dm.replyMatching(/Ready to send|Please answer again/);
  assert.match(preview, /Ready to send/, `targets "${answer}" refused:\n${preview}`);
  await dm.send(yes);
  const sending = await dm.replyMatching(/Sending broadcast|Nothing was sent/);
  assert.match(sending, /Sending broadcast/, sending);
  const id = broadcastIdIn(sending);
  const report = await dm.replyMatching(new RegExp(`Delivered to .*broadcast \`${id}\``), 30_000);
  return { preview, sending, id, report };
}

/** The bot's one post of broadcast `id` in a channel (a person's DM, or a channel). */
export async function copyIn(s: Scenario, channelId: string, id: string): Promise<Post> {
  const copies = await botPostsIn(s, channelId, id);
  assert.equal(copies.length, 1, `copies of ${id} in ${channelId}`);
  return copies[0];
}

/** The broadcast's post in `person`'s DM with the bot. */
export function copyFor(s: Scenario, person: Person, id: string): Promise<Post> {
  return copyIn(s, s.dmChannel(person).id, id);
}

/** Who acknowledged broadcast `id`, and how: "user id:via", sorted. */
export async function acknowledgements(s: Scenario, id: string): Promise<string[]> {
  const rows = await storeRows<{ user_id: string; via: string }>(
    s,
    "SELECT user_id, via FROM acknowledgements WHERE broadcast_id = ?",
    id,
  );
  return rows.map((r) => `${r.user_id}:${r.via}`).sort();
}

/** Waits until exactly `expected` acknowledged broadcast `id` (user id:via). */
export async function waitForAcks(s: Scenario, id: string, expected: string[]): Promise<void> {
  const want = [...expected].sort();
  await s.waitFor(
    async () => JSON.stringify(await acknowledgements(s, id)) === JSON.stringify(want),
    { message: `acknowledgements of ${id}: want ${want}` },
  ).catch(async (e) => {
    throw new Error(`${e.message}, have ${await acknowledgements(s, id)}`);
  });
}

/** The token the bot gives the button of broadcast `id`'s post to `recipient` (`p:<id>`). */
export async function genuineToken(s: Scenario, id: string, recipient: string): Promise<string> {
  const row = await storeRow<{ value: string }>(
    s,
    "SELECT value FROM settings WHERE name = 'action_token_key'",
  );
  const hex = row!.value;
  const key = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  return await new ActionTokens(key).sign(id, recipient);
}

/** The text of a post's (first) attachment. */
export function attachmentText(post: Post): string {
  const attachments = post.props?.attachments as { text?: string }[] | undefined;
  return attachments?.[0]?.text ?? "";
}

/** The action ids of a post's (first) attachment. */
export function actionIds(post: Post): string[] {
  const attachments = post.props?.attachments as
    | { actions?: { id: string }[] | null }[]
    | undefined;
  return (attachments?.[0]?.actions ?? []).map((a) => a.id);
}
