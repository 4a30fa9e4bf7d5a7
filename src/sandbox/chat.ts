/**
 * The sandbox's terminal chat: you are a demo user in a DM with the bot. Lines you type are
 * sent as DMs; the bot's replies and every post it makes anywhere are printed. Works with
 * piped stdin, so a session can be scripted (each message waits for the bot's answer).
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { Emulator } from "@postbot/mattermost-emulator";
import type { DemoUser, DemoWorld } from "./demo.ts";
import { type Attachment, postAs } from "./user_client.ts";

/** Where the chat reads and writes. */
export interface ChatOptions {
  readonly emu: Emulator;
  readonly world: DemoWorld;
  readonly input: ReadableStream<Uint8Array>;
  readonly write: (text: string) => void;
  /** Reads a local file for `/file` (injected so tests need no file system). */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /** How long to wait for the bot's answer to one message. */
  readonly replyTimeoutMs?: number;
}

const HELP = `Type a message to broadcast it, or a bot command such as !help.
  /file PATH   attach a local file to your next message
  /as USER     talk as another demo user (alice, bob, carol)
  /channels    what each channel has received
  /help        this help
  /quit        leave (Ctrl-D works too)
A line ending in \\ continues on the next line (for multi-line messages).`;

/** Splits a byte stream into lines. */
export async function* lines(input: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of input.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

function indent(text: string, prefix: string): string {
  const pad = " ".repeat(prefix.length);
  return prefix + text.split("\n").join(`\n${pad}`);
}

/** Runs the chat until `/quit` or the end of input. */
// deno-lint-ignore postbot/max-function-lines
export async function runChat(options: ChatOptions): Promise<void> {
  const { emu, world, write } = options;
  const store = emu.store;
  let me: DemoUser = world.users.get("alice")!;
  let pending: Attachment[] = [];
  const dmOf = (user: DemoUser) => store.directChannel(user.id, world.bot.id).id;
  const channelName = (post: Post) => {
    const c = store.channel(post.channel_id);
    if (c === undefined) return "?";
    if (c.type === "D") {
      const other = c.name.split("__").find((id) => id !== world.bot.id) ?? "";
      return `@${store.user(other)?.username ?? "?"} (DM)`;
    }
    return `~${c.name}`;
  };

  // Print every new post by the bot, and deletions, as they happen.
  let printed = store.allPosts().length;
  const deleted = new Set(store.allPosts().filter((p) => p.delete_at > 0).map((p) => p.id));
  const show = () => {
    const all = store.allPosts();
    for (const post of all.slice(printed)) {
      if (post.user_id !== world.bot.id) continue;
      const files = post.file_ids?.length
        ? ` [${post.file_ids.length} file${post.file_ids.length > 1 ? "s" : ""}]`
        : "";
      if (post.channel_id === dmOf(me)) write(indent(post.message, "postbot › ") + "\n");
      else write(indent(`${post.message}${files}`, `→ ${channelName(post)}: `) + "\n");
    }
    printed = all.length;
    for (const post of all) {
      if (post.delete_at > 0 && !deleted.has(post.id)) {
        deleted.add(post.id);
        if (post.user_id === world.bot.id) write(`✗ ${channelName(post)}: post deleted\n`);
      }
    }
  };

  const waitForBot = async (since: number, channelId: string) => {
    try {
      await emu.waitFor(
        () =>
          store.allPosts().slice(since).some((p) =>
            p.user_id === world.bot.id && p.channel_id === channelId
          ),
        { timeoutMs: options.replyTimeoutMs ?? 15_000 },
      );
    } catch {
      write("(no answer from the bot yet)\n");
    }
    show();
    // A confirmed broadcast is reported when delivered: wait for that too, so a scripted
    // session sees the outcome before its next line.
    const started = store.allPosts().slice(since).find((p) =>
      p.user_id === world.bot.id && p.channel_id === channelId &&
      /^Sending broadcast|^Retrying/.test(p.message)
    );
    if (started !== undefined) {
      const from = store.allPosts().findIndex((p) => p.id === started.id) + 1;
      try {
        await emu.waitFor(
          () =>
            store.allPosts().slice(from).some((p) =>
              p.user_id === world.bot.id && p.channel_id === channelId
            ),
          { timeoutMs: 120_000 },
        );
      } catch {
        write("(the broadcast is still being delivered)\n");
      }
      show();
    }
  };

  write(
    `You are @${me.username} in a direct message with @postbot (team "${world.teamName}").\n` +
      `${HELP}\n`,
  );
  let draft = "";
  for await (const raw of lines(options.input)) {
    show();
    if (raw.endsWith("\\")) {
      draft += raw.slice(0, -1) + "\n";
      continue;
    }
    const line = draft + raw;
    draft = "";
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (trimmed === "/quit" || trimmed === "/exit") break;
    if (trimmed === "/help") {
      write(`${HELP}\n`);
      continue;
    }
    if (trimmed.startsWith("/as")) {
      const name = trimmed.slice(3).trim().replace(/^@/, "");
      const user = world.users.get(name);
      if (user === undefined) {
        write(
          `There is no demo user "${name}". Try one of: ${[...world.users.keys()].join(", ")}.\n`,
        );
      } else {
        me = user;
        write(`You are now @${me.username}.\n`);
      }
      continue;
    }
    if (trimmed.startsWith("/file")) {
      const path = trimmed.slice(5).trim();
      if (path === "") {
        write("Usage: /file PATH\n");
        continue;
      }
      try {
        const bytes = await (options.readFile ?? Deno.readFile)(path);
        const name = path.split(/[\\/]/).pop() ?? path;
        pending.push({ name, bytes });
        write(`Attached ${name} (${bytes.length} bytes); it goes with your next message.\n`);
      } catch (e) {
        write(`Cannot read ${path}: ${(e as Error).message}\n`);
      }
      continue;
    }
    if (trimmed === "/channels") {
      for (const c of world.channels) {
        // The bot's own posts; its "joined the channel" system posts are the server's.
        const posts = store.postsIn(c.id).filter((p) =>
          p.user_id === world.bot.id && !p.type.startsWith("system_")
        );
        const last = posts.at(-1)?.message.split("\n")[0] ?? "";
        write(
          `~${c.name} (${c.display_name}): ${posts.length} post${posts.length === 1 ? "" : "s"}` +
            (last !== "" ? ` — last: ${last.slice(0, 60)}` : "") + "\n",
        );
      }
      continue;
    }
    if (trimmed.startsWith("/")) {
      write(`Unknown chat command ${trimmed.split(/\s/)[0]}; /help lists them.\n`);
      continue;
    }
    const since = store.allPosts().length;
    try {
      await postAs(emu.url, me.token, dmOf(me), line, pending);
    } catch (e) {
      write(`Could not send: ${(e as Error).message}\n`);
      continue;
    }
    pending = [];
    await waitForBot(since, dmOf(me));
  }
  // Let deliveries in flight finish printing: wait until nothing new arrives for a moment.
  let quietSince = store.allPosts().length;
  for (let i = 0; i < 20; i++) {
    try {
      await emu.waitFor(() => store.allPosts().length > quietSince, { timeoutMs: 1_500 });
      show();
      quietSince = store.allPosts().length;
    } catch {
      break;
    }
  }
  show();
}
