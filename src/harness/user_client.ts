/**
 * Posting as a person through the Mattermost REST API (upload, then post), the way the
 * Mattermost apps do. The sandbox chat and the tests use it to talk to the bot.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";

/** A file to attach. */
export interface Attachment {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly mime?: string;
}

/** Sends a message (files uploaded first) to a channel as the token's owner. */
export async function postAs(
  serverUrl: string,
  token: string,
  channelId: string,
  message: string,
  files: readonly Attachment[] = [],
  /** For a server whose certificate the default trust store does not know (tests). */
  client?: Deno.HttpClient,
): Promise<Post> {
  const api = `${serverUrl}/api/v4`;
  const auth = { Authorization: `Bearer ${token}` };
  let fileIds: string[] = [];
  if (files.length > 0) {
    const form = new FormData();
    form.append("channel_id", channelId);
    for (const f of files) {
      form.append("files", new Blob([f.bytes.slice()], { type: f.mime ?? "" }), f.name);
    }
    const r = await fetch(`${api}/files`, { method: "POST", headers: auth, body: form, client });
    if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${await r.text()}`);
    fileIds = (await r.json()).file_infos.map((f: { id: string }) => f.id);
  }
  const r = await fetch(`${api}/posts`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ channel_id: channelId, message, file_ids: fileIds }),
    client,
  });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${await r.text()}`);
  return await r.json();
}
