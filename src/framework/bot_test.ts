/**
 * The runtime's own behaviour, through the emulator over real sockets: people post in their
 * DM with the bot over REST, the bot receives the `posted` events on its WebSocket and answers
 * through the middleware chain. Catch-up after lost events is covered by tests/catch_up_test.ts.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { type Emulator, startEmulator } from "@postbot/mattermost-emulator";
import { type Actor, clientFor, seedWorld, type World } from "@postbot/mattermost-emulator/testing";
import { Bot, type BotOptions } from "./bot.ts";
import { readBotConfig } from "./config.ts";
import type { MessageContext } from "./context.ts";
import { EnvReader } from "./env_reader.ts";
import { FAILURE_REPLY } from "./error_handler.ts";
import type { Middleware } from "./middleware.ts";
import { MemoryProcessedPosts, type ProcessedPosts } from "./processed_posts.ts";

/** A started bot in the seeded world, with a DM to bob as well as alice's. */
interface Running {
  emu: Emulator;
  world: World;
  bot: Bot;
  /** DM channel ids by username. */
  dms: Record<string, string>;
}

async function withBot(
  middleware: Middleware<MessageContext>[],
  fn: (r: Running) => Promise<void>,
  options: BotOptions = {},
): Promise<void> {
  const emu = await startEmulator();
  try {
    const world = seedWorld(emu);
    const bob = emu.store.directChannel(world.bot.user.id, world.bob.user.id);
    const env: Record<string, string> = {
      URL: emu.url,
      TOKEN: world.bot.token,
      TEAM_NAME: world.team.name,
    };
    const config = readBotConfig(new EnvReader((name) => env[name]));
    const connected = await Bot.connect(config, {
      reconnectBackoff: { initialMs: 10, maxMs: 50 },
      ...options,
    });
    if (!connected.ok) assert.fail(connected.error.message);
    const bot = connected.value;
    for (const m of middleware) bot.use(m);
    const started = await bot.start(30_000);
    if (!started.ok) assert.fail(started.error.message);
    try {
      await fn({ emu, world, bot, dms: { alice: world.dm.id, bob: bob.id } });
    } finally {
      await bot.stop();
    }
  } finally {
    await emu.stop();
  }
}

/** Posts `message` in the person's DM with the bot, as their client would. */
function say(r: Running, who: Actor, message: string): Promise<Post> {
  return clientFor(r.emu, who.token).createPost({
    channel_id: r.dms[who.user.username],
    message,
  } as Post);
}

/** The bot's posts in a DM, oldest first. */
function botPosts(r: Running, channelId: string): string[] {
  return r.emu.store.postsIn(channelId)
    .filter((p) => p.user_id === r.world.bot.user.id)
    .map((p) => p.message);
}

/** Waits until the bot has posted `count` messages in the DM; returns them. */
function botReplies(r: Running, channelId: string, count: number): Promise<string[]> {
  return r.emu.waitFor(() => {
    const posts = botPosts(r, channelId);
    return posts.length >= count ? posts : undefined;
  }, { timeoutMs: 20_000, message: `no ${count} bot replies in ${channelId}` });
}

/** A promise a test resolves by hand. */
function gate(): { wait: Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { wait: promise, open: () => resolve() };
}

const echo: Middleware<MessageContext> = (ctx) => ctx.reply(`echo: ${ctx.text}`);

Deno.test("Bot: middleware runs in the order it was added, each deciding about next()", async () => {
  const seen: string[] = [];
  const first: Middleware<MessageContext> = async (ctx, next) => {
    seen.push(`first ${ctx.text}`);
    if (ctx.text !== "stop here") await next();
  };
  const second: Middleware<MessageContext> = async (ctx) => {
    seen.push(`second ${ctx.text}`);
    await ctx.reply(`@${ctx.username} said ${ctx.text}`);
  };
  await withBot([first, second], async (r) => {
    await say(r, r.world.alice, "stop here");
    await say(r, r.world.alice, "hello");
    assert.deepEqual(await botReplies(r, r.dms.alice, 1), ["@alice said hello"]);
    assert.deepEqual(seen, ["first stop here", "first hello", "second hello"]);
  });
});

Deno.test("Bot: one user's messages are handled in order; another user is not kept waiting", async () => {
  const slow = gate();
  const started: string[] = [];
  const handler: Middleware<MessageContext> = async (ctx) => {
    started.push(`${ctx.username}: ${ctx.text}`);
    if (ctx.text === "slow") await slow.wait;
    await ctx.reply(`done: ${ctx.text}`);
  };
  await withBot([handler], async (r) => {
    await say(r, r.world.alice, "slow");
    await say(r, r.world.alice, "second");
    await say(r, r.world.bob, "meanwhile");
    // Bob is answered while alice's first message is still being handled.
    assert.deepEqual(await botReplies(r, r.dms.bob, 1), ["done: meanwhile"]);
    assert.deepEqual(botPosts(r, r.dms.alice), []);
    assert.equal(started.includes("alice: second"), false, "alice's second began too early");
    slow.open();
    assert.deepEqual(await botReplies(r, r.dms.alice, 2), ["done: slow", "done: second"]);
    assert.deepEqual(started.filter((s) => s.startsWith("alice")), [
      "alice: slow",
      "alice: second",
    ]);
  });
});

Deno.test("Bot: its own posts never reach the middleware", async () => {
  const texts: string[] = [];
  const handler: Middleware<MessageContext> = async (ctx) => {
    texts.push(`${ctx.username}: ${ctx.text}`);
    await ctx.reply(`echo: ${ctx.text}`);
  };
  await withBot([handler], async (r) => {
    // The bot posts on its own (as an app would for a notice), then answers alice.
    await clientFor(r.emu, r.world.bot.token).createPost({
      channel_id: r.dms.alice,
      message: "a notice from the bot",
    } as Post);
    await say(r, r.world.alice, "ping");
    await botReplies(r, r.dms.alice, 2);
    await say(r, r.world.alice, "pong");
    assert.deepEqual(await botReplies(r, r.dms.alice, 3), [
      "a notice from the bot",
      "echo: ping",
      "echo: pong",
    ]);
    assert.deepEqual(texts, ["alice: ping", "alice: pong"]);
  });
});

Deno.test("Bot: a failing handler gets the user exactly one apology; the next message works", async () => {
  const handler: Middleware<MessageContext> = async (ctx) => {
    if (ctx.text === "boom") throw new Error(`handler failed with ${ctx.bot.userId}`);
    await echo(ctx, () => Promise.resolve());
  };
  await withBot([handler], async (r) => {
    await say(r, r.world.alice, "boom");
    const [apology] = await botReplies(r, r.dms.alice, 1);
    assert.match(apology, /Something went wrong on my side.*not completed.*try again/s);
    assert.doesNotMatch(apology, /handler failed|Error/, "internals stay in the log");
    await say(r, r.world.alice, "after");
    assert.deepEqual((await botReplies(r, r.dms.alice, 2)).slice(1), ["echo: after"]);
  });
});

Deno.test("Bot: a store failing to record a DM is an apology, not a crash", async () => {
  const texts: string[] = [];
  let failing = true;
  /** Records in memory, but its claim fails like a damaged database while `failing`. */
  class FailingPosts extends MemoryProcessedPosts {
    override claimNow(postId: string, channelId: string, createAt: number): boolean {
      if (failing) throw new Error("database disk image is malformed");
      return super.claimNow(postId, channelId, createAt);
    }
  }
  const processed: ProcessedPosts = new FailingPosts();
  const handler: Middleware<MessageContext> = async (ctx) => {
    texts.push(ctx.text);
    await ctx.reply(`echo: ${ctx.text}`);
  };
  await withBot([handler], async (r) => {
    await say(r, r.world.alice, "while broken");
    const [apology] = await botReplies(r, r.dms.alice, 1);
    assert.match(apology, /Something went wrong on my side/);
    assert.deepEqual(texts, [], "not handled without the record");
    failing = false;
    await say(r, r.world.alice, "repaired");
    assert.deepEqual((await botReplies(r, r.dms.alice, 2)).slice(1), ["echo: repaired"]);
  }, { processed });
});

Deno.test("Bot: the same post handed over twice is handled once", async () => {
  const texts: string[] = [];
  const handler: Middleware<MessageContext> = async (ctx) => {
    texts.push(ctx.text);
    await ctx.reply(`echo: ${ctx.text}`);
  };
  await withBot([handler], async (r) => {
    const post = await say(r, r.world.alice, "once");
    await botReplies(r, r.dms.alice, 1);
    // As the catch-up would, after the event already delivered it.
    await r.bot.dispatch({
      post,
      channelId: r.dms.alice,
      channelType: "D",
      senderName: "alice",
    });
    await say(r, r.world.alice, "twice");
    assert.deepEqual(await botReplies(r, r.dms.alice, 2), ["echo: once", "echo: twice"]);
    assert.deepEqual(texts, ["once", "twice"]);
  });
});

Deno.test("Bot: stop waits for the message being handled, then takes no more", async () => {
  const slow = gate();
  const order: string[] = [];
  const handler: Middleware<MessageContext> = async (ctx) => {
    order.push(`began ${ctx.text}`);
    if (ctx.text === "slow") await slow.wait;
    await ctx.reply(`done: ${ctx.text}`);
    order.push(`finished ${ctx.text}`);
  };
  await withBot([handler], async (r) => {
    const post = await say(r, r.world.alice, "slow");
    await r.emu.waitFor(() => order.includes("began slow") || undefined, { timeoutMs: 20_000 });
    const stopping = r.bot.stop().then(() => order.push("stopped"));
    // A full request to the server and back: a stop that did not wait would be done by now.
    await clientFor(r.emu, r.world.alice.token).getMe();
    assert.deepEqual(order, ["began slow"]);
    slow.open();
    await stopping;
    assert.deepEqual(order, ["began slow", "finished slow", "stopped"]);
    assert.deepEqual(botPosts(r, r.dms.alice), ["done: slow"]);
    // After stop, a message handed over is not handled.
    await r.bot.dispatch({
      post: { ...post, id: "x".repeat(26), message: "late" },
      channelId: r.dms.alice,
      channelType: "D",
      senderName: "alice",
    });
    assert.deepEqual(order, ["began slow", "finished slow", "stopped"]);
  });
});

/** The bot's `view` requests so far (marking a DM channel read). */
function views(r: Running): number {
  return r.emu.requests.filter((q) =>
    q.method === "POST" && /\/channels\/members\/me\/view$/.test(q.path)
  )
    .length;
}

/** Whether the bot's unread counters of the DM have caught up with the channel's. */
function markedRead(r: Running, channelId: string): boolean {
  const member = r.emu.store.channelMember(channelId, r.world.bot.user.id);
  const channel = r.emu.store.channel(channelId) as { total_msg_count?: number } | undefined;
  return member !== undefined && member.msg_count === channel?.total_msg_count;
}

Deno.test("Bot: a handled conversation is marked read once it has been quiet", async () => {
  await withBot([echo], async (r) => {
    await say(r, r.world.alice, "one");
    await botReplies(r, r.dms.alice, 1);
    // The request log records a request once answered: wait for both.
    await r.emu.waitFor(() => (markedRead(r, r.dms.alice) && views(r) > 0) || undefined, {
      timeoutMs: 20_000,
      message: "the conversation was not marked read",
    });
    assert.equal(views(r), 1);
  }, { markReadQuietMs: 50 });
});

Deno.test("Bot: DMs in a row cost one mark; stop sends a waiting mark at once", async () => {
  await withBot([echo], async (r) => {
    await say(r, r.world.alice, "one");
    await botReplies(r, r.dms.alice, 1);
    await say(r, r.world.alice, "two");
    await botReplies(r, r.dms.alice, 2);
    // A full request to the server and back: a mark sent after each DM would be there by now.
    await clientFor(r.emu, r.world.alice.token).getMe();
    assert.equal(views(r), 0, "nothing marked while the conversation may go on");
    assert.equal(markedRead(r, r.dms.alice), false);
    await r.bot.stop();
    assert.equal(views(r), 1);
    assert.equal(markedRead(r, r.dms.alice), true, "marked read before stop returned");
  }, { markReadQuietMs: 600_000 });
});

Deno.test("Bot: watchers hear every event but posted, and that events were lost", async () => {
  await withBot([echo], async (r) => {
    const heard: string[] = [];
    let lost = 0;
    r.bot
      .watch({
        onEvent: () => {
          throw new Error("a broken watcher");
        },
      })
      .watch({
        onEvent: (e) => void heard.push(`${e.event} ${e.data.user_id ?? ""}`),
        onEventsLost: () => void lost++,
      });
    r.emu.store.removeTeamMember(r.world.team.id, r.world.bob.user.id);
    await r.emu.waitFor(() => heard.includes(`leave_team ${r.world.bob.user.id}`), {
      timeoutMs: 10_000,
      message: `no leave_team heard; got ${heard.join(", ")}`,
    });
    // Messages still reach the middleware, not the watchers.
    await say(r, r.world.alice, "hi");
    await botReplies(r, r.dms.alice, 1);
    assert.equal(heard.some((h) => h.startsWith("posted")), false);
    await r.emu.restart({ loseEvents: true });
    await r.emu.waitFor(() => lost > 0, { timeoutMs: 10_000, message: "no events-lost" });
  });
});

Deno.test("Bot: catch sees every failure with its context; its answer replaces the apology", async () => {
  const seen: string[] = [];
  let failing = false;
  /** Records in memory, but its claim fails like a damaged database while `failing`. */
  class FailingPosts extends MemoryProcessedPosts {
    override claimNow(postId: string, channelId: string, createAt: number): boolean {
      if (failing) throw new Error("store broken");
      return super.claimNow(postId, channelId, createAt);
    }
  }
  const handler: Middleware<MessageContext> = async (ctx) => {
    if (ctx.text === "boom") throw new Error("handler broke");
    await echo(ctx, () => Promise.resolve());
  };
  await withBot([handler], async (r) => {
    r.bot.catch(async (error, ctx) => {
      seen.push(`${ctx.username} ${ctx.text}: ${(error as Error).message}`);
      await ctx.reply(`sorry @${ctx.username}, "${ctx.text}" failed`);
    });
    await say(r, r.world.alice, "boom");
    assert.deepEqual(await botReplies(r, r.dms.alice, 1), ['sorry @alice, "boom" failed']);
    failing = true;
    await say(r, r.world.alice, "while broken");
    assert.deepEqual((await botReplies(r, r.dms.alice, 2)).slice(1), [
      'sorry @alice, "while broken" failed',
    ]);
    failing = false;
    await say(r, r.world.alice, "after");
    assert.deepEqual((await botReplies(r, r.dms.alice, 3)).slice(2), ["echo: after"]);
    assert.deepEqual(seen, ["alice boom: handler broke", "alice while broken: store broken"]);
  }, { processed: new FailingPosts() });
});

Deno.test("Bot: an error handler that throws still leaves the sender exactly one apology", async () => {
  const handler: Middleware<MessageContext> = async (ctx) => {
    if (ctx.text === "boom") throw new Error("handler broke");
    await echo(ctx, () => Promise.resolve());
  };
  await withBot([handler], async (r) => {
    r.bot.catch(() => {
      throw new Error("the error handler broke too");
    });
    await say(r, r.world.alice, "boom");
    const [apology] = await botReplies(r, r.dms.alice, 1);
    assert.equal(apology, FAILURE_REPLY);
    await say(r, r.world.alice, "after");
    // The sender's messages are handled in order: anything more for "boom" would come first.
    assert.deepEqual(await botReplies(r, r.dms.alice, 2), [FAILURE_REPLY, "echo: after"]);
  });
});
