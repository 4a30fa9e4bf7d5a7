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
import { unreachable } from "@postbot/framework";
import { type Attachment, postAs } from "@postbot/harness/bot";

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

/** A line typed in the chat, decided: a chat command, or a message for the bot. */
export type ChatLine =
  | { readonly kind: "quit" }
  | { readonly kind: "help" }
  | { readonly kind: "as"; readonly name: string }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "channels" }
  | { readonly kind: "unknown"; readonly command: string }
  | { readonly kind: "message"; readonly text: string };

/** What a (complete, non-blank) line asks for. */
export function parseChatLine(line: string): ChatLine {
  const trimmed = line.trim();
  if (trimmed === "/quit" || trimmed === "/exit") return { kind: "quit" };
  if (trimmed === "/help") return { kind: "help" };
  if (trimmed.startsWith("/as")) {
    return { kind: "as", name: trimmed.slice(3).trim().replace(/^@/, "") };
  }
  if (trimmed.startsWith("/file")) return { kind: "file", path: trimmed.slice(5).trim() };
  if (trimmed === "/channels") return { kind: "channels" };
  if (trimmed.startsWith("/")) return { kind: "unknown", command: trimmed.split(/\s/)[0] };
  return { kind: "message", text: line };
}

/** Runs the chat until `/quit` or the end of input. */
export async function runChat(options: ChatOptions): Promise<void> {
  const chat = new ChatSession(options);
  options.write(
    `You are @${chat.me.username} in a direct message with @postbot (team "${options.world.teamName}").\n` +
      `${HELP}\n`,
  );
  for await (const line of messages(lines(options.input), () => chat.show())) {
    const parsed = parseChatLine(line);
    if (parsed.kind === "quit") break;
    await chat.perform(parsed);
  }
  await chat.drain();
}

/** Complete lines (a trailing backslash continues on the next), blank ones skipped. */
async function* messages(
  input: AsyncIterable<string>,
  beforeEach: () => void,
): AsyncGenerator<string> {
  let draft = "";
  for await (const raw of input) {
    beforeEach();
    if (raw.endsWith("\\")) {
      draft += raw.slice(0, -1) + "\n";
      continue;
    }
    const line = draft + raw;
    draft = "";
    if (line.trim() !== "") yield line;
  }
}

/** One chat: who you are, what is attached, and which of the bot's posts were printed. */
class ChatSession {
  me: DemoUser;
  #pending: Attachment[] = [];
  readonly #options: ChatOptions;
  readonly #store: Emulator["store"];
  #printed: number;
  readonly #deleted: Set<string>;

  constructor(options: ChatOptions) {
    this.#options = options;
    this.#store = options.emu.store;
    this.me = options.world.users.get("alice")!;
    this.#printed = this.#store.allPosts().length;
    this.#deleted = new Set(
      this.#store.allPosts().filter((p) => p.delete_at > 0).map((p) => p.id),
    );
  }

  /** Acts on one line. */
  async perform(line: Exclude<ChatLine, { kind: "quit" }>): Promise<void> {
    const write = this.#options.write;
    switch (line.kind) {
      case "help":
        return write(`${HELP}\n`);
      case "as":
        return this.#becomeUser(line.name);
      case "file":
        return await this.#attach(line.path);
      case "channels":
        return this.#listChannels();
      case "unknown":
        return write(`Unknown chat command ${line.command}; /help lists them.\n`);
      case "message":
        return await this.#send(line.text);
      default:
        return unreachable(line);
    }
  }

  /** Prints every new post by the bot, and deletions, since the last call. */
  show(): void {
    const { world, write } = this.#options;
    const all = this.#store.allPosts();
    for (const post of all.slice(this.#printed)) {
      if (post.user_id !== world.bot.id) continue;
      const files = post.file_ids?.length
        ? ` [${post.file_ids.length} file${post.file_ids.length > 1 ? "s" : ""}]`
        : "";
      if (post.channel_id === this.#dm()) write(indent(post.message, "postbot \u203a ") + "\n");
      else write(indent(`${post.message}${files}`, `\u2192 ${this.#channelName(post)}: `) + "\n");
    }
    this.#printed = all.length;
    for (const post of all) {
      if (post.delete_at > 0 && !this.#deleted.has(post.id)) {
        this.#deleted.add(post.id);
        if (post.user_id === world.bot.id) {
          write(`\u2717 ${this.#channelName(post)}: post deleted\n`);
        }
      }
    }
  }

  /** Lets deliveries in flight finish printing: waits until nothing new arrives for a moment. */
  async drain(): Promise<void> {
    let quietSince = this.#store.allPosts().length;
    for (let i = 0; i < 20; i++) {
      try {
        await this.#options.emu.waitFor(() => this.#store.allPosts().length > quietSince, {
          timeoutMs: 1_500,
        });
        this.show();
        quietSince = this.#store.allPosts().length;
      } catch {
        break;
      }
    }
    this.show();
  }

  #dm(): string {
    return this.#store.directChannel(this.me.id, this.#options.world.bot.id).id;
  }

  #channelName(post: Post): string {
    const c = this.#store.channel(post.channel_id);
    if (c === undefined) return "?";
    if (c.type === "D") {
      const other = c.name.split("__").find((id) => id !== this.#options.world.bot.id) ?? "";
      return `@${this.#store.user(other)?.username ?? "?"} (DM)`;
    }
    return `~${c.name}`;
  }

  #becomeUser(name: string): void {
    const { world, write } = this.#options;
    const user = world.users.get(name);
    if (user === undefined) {
      write(
        `There is no demo user "${name}". Try one of: ${[...world.users.keys()].join(", ")}.\n`,
      );
      return;
    }
    this.me = user;
    write(`You are now @${this.me.username}.\n`);
  }

  async #attach(path: string): Promise<void> {
    const write = this.#options.write;
    if (path === "") return write("Usage: /file PATH\n");
    try {
      const bytes = await (this.#options.readFile ?? Deno.readFile)(path);
      const name = path.split(/[\\/]/).pop() ?? path;
      this.#pending.push({ name, bytes });
      write(`Attached ${name} (${bytes.length} bytes); it goes with your next message.\n`);
    } catch (e) {
      write(`Cannot read ${path}: ${(e as Error).message}\n`);
    }
  }

  #listChannels(): void {
    const { world, write } = this.#options;
    for (const c of world.channels) {
      // The bot's own posts; its "joined the channel" system posts are the server's.
      const posts = this.#store.postsIn(c.id).filter((p) =>
        p.user_id === world.bot.id && !p.type.startsWith("system_")
      );
      const last = posts.at(-1)?.message.split("\n")[0] ?? "";
      write(
        `~${c.name} (${c.display_name}): ${posts.length} post${posts.length === 1 ? "" : "s"}` +
          (last !== "" ? ` \u2014 last: ${last.slice(0, 60)}` : "") + "\n",
      );
    }
  }

  async #send(text: string): Promise<void> {
    const since = this.#store.allPosts().length;
    const dm = this.#dm();
    try {
      await postAs(this.#options.emu.url, this.me.token, dm, text, this.#pending);
    } catch (e) {
      this.#options.write(`Could not send: ${(e as Error).message}\n`);
      return;
    }
    this.#pending = [];
    await this.#waitForBot(since, dm);
  }

  /** Waits for the bot's answer, and for a confirmed broadcast's outcome too. */
  async #waitForBot(since: number, channelId: string): Promise<void> {
    const botId = this.#options.world.bot.id;
    const answered = (from: number) => () =>
      this.#store.allPosts().slice(from).some((p) =>
        p.user_id === botId && p.channel_id === channelId
      );
    await this.#waitOrSay(
      answered(since),
      this.#options.replyTimeoutMs ?? 15_000,
      "(no answer from the bot yet)",
    );
    this.show();
    // A confirmed broadcast is reported when delivered: wait for that too, so a scripted
    // session sees the outcome before its next line.
    const started = this.#store.allPosts().slice(since).find((p) =>
      p.user_id === botId && p.channel_id === channelId &&
      /^Sending broadcast|^Retrying/.test(p.message)
    );
    if (started === undefined) return;
    const from = this.#store.allPosts().findIndex((p) => p.id === started.id) + 1;
    await this.#waitOrSay(answered(from), 120_000, "(the broadcast is still being delivered)");
    this.show();
  }

  async #waitOrSay(probe: () => boolean, timeoutMs: number, note: string): Promise<void> {
    try {
      await this.#options.emu.waitFor(probe, { timeoutMs });
    } catch {
      this.#options.write(`${note}\n`);
    }
  }
}
