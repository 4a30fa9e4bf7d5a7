import assert from "node:assert/strict";
import { type Command, CommandDispatcher, parseCommand } from "./dispatcher.ts";
import type { MessageContext } from "./context.ts";
import { recordingContext } from "./testing.ts";

/** A context whose replies are collected instead of posted. */
function context(text: string, access: "user" | "admin" = "user") {
  return recordingContext({ post: { id: "p1", message: text }, channelId: "dm1", access });
}

function recorder() {
  const calls: { name: string; args: string }[] = [];
  const command = (name: string, extra: Partial<Command> = {}): Command => ({
    name,
    summary: name,
    run: (_ctx, args) => {
      calls.push({ name, args });
      return Promise.resolve();
    },
    ...extra,
  });
  return { calls, command };
}

Deno.test("parseCommand: !word, case-insensitive, args trimmed with newlines kept", () => {
  assert.deepEqual(parseCommand("!ID Town Square"), {
    name: "id",
    word: "!ID",
    args: "Town Square",
  });
  assert.deepEqual(parseCommand("  !add_group  a = 1\nb = 2  "), {
    name: "add_group",
    word: "!add_group",
    args: "a = 1\nb = 2",
  });
  assert.deepEqual(parseCommand("!add_group\nx = []"), {
    name: "add_group",
    word: "!add_group",
    args: "x = []",
  });
  assert.deepEqual(parseCommand("!channels"), { name: "channels", word: "!channels", args: "" });
});

Deno.test("parseCommand: the help spellings are one command", () => {
  for (const text of ["!help", "!HELP", "help", "Help", " HELP ", "--help", "man", "-h"]) {
    assert.equal(parseCommand(text)?.name, "help", text);
  }
});

Deno.test("parseCommand: bare help words count only as the whole message", () => {
  for (const text of ["Help wanted in Berlin", "man overboard", "--help me", "help\nplease"]) {
    assert.equal(parseCommand(text), undefined, text);
  }
  assert.equal(parseCommand("!help me")?.name, "help");
});

Deno.test("parseCommand: ordinary messages and a lone ! are not commands", () => {
  for (const text of ["", "   ", "hello !channels", "!", "! channels", "¡hola!"]) {
    assert.equal(parseCommand(text), undefined, JSON.stringify(text));
  }
});

Deno.test("dispatch: runs the command by name or alias with its arguments", async () => {
  const { calls, command } = recorder();
  const dispatcher = new CommandDispatcher()
    .register(command("help", { aliases: ["man"] }))
    .register(command("id"));
  const fallback: string[] = [];
  const handle = dispatcher.middleware((ctx) => {
    fallback.push(ctx.text);
    return Promise.resolve();
  });
  for (const text of ["!ID town-square", "help", "!man", "hello there"]) {
    await handle(context(text).ctx, () => Promise.resolve());
  }
  assert.deepEqual(calls, [
    { name: "id", args: "town-square" },
    { name: "help", args: "" },
    { name: "help", args: "" },
  ]);
  assert.deepEqual(fallback, ["hello there"]);
});

Deno.test("dispatch: an unknown !command gets a pointer to !help, not the fallback", async () => {
  const { calls, command } = recorder();
  const dispatcher = new CommandDispatcher().register(command("help"));
  let fellBack = false;
  const handle = dispatcher.middleware(() => {
    fellBack = true;
    return Promise.resolve();
  });
  const { ctx, replies } = context("!chanels now");
  await handle(ctx, () => Promise.resolve());
  assert.equal(fellBack, false);
  assert.deepEqual(calls, []);
  assert.equal(replies.length, 1);
  assert.match(replies[0], /don't know the command `!chanels`.*`!help`/);
});

Deno.test("dispatch: an unknown command word is clipped and cannot break out of its code span", async () => {
  const dispatcher = new CommandDispatcher();
  const handle = dispatcher.middleware(() => Promise.resolve());
  const { ctx, replies } = context(`!x\`@channel${"y".repeat(500)}`);
  await handle(ctx, () => Promise.resolve());
  assert.equal(replies.length, 1);
  const span = /`([^`]*)`/.exec(replies[0]);
  assert.ok(span !== null);
  assert.ok(span[1].startsWith("!x'@channel"), span[1]);
  assert.ok(Array.from(span[1]).length <= 41, span[1]);
});

Deno.test("dispatch: adminOnly commands refuse non-admins with the reason", async () => {
  const { calls, command } = recorder();
  const dispatcher = new CommandDispatcher().register(command("add_group", { adminOnly: true }));
  const handle = dispatcher.middleware(() => Promise.resolve());
  const user = context('!add_group x = ["a"]', "user");
  await handle(user.ctx, () => Promise.resolve());
  assert.deepEqual(calls, []);
  assert.equal(user.replies.length, 1);
  assert.match(user.replies[0], /`!add_group`.*administrators \(ADMIN_USERS\)/);
  const admin = context('!add_group x = ["a"]', "admin");
  await handle(admin.ctx, () => Promise.resolve());
  assert.deepEqual(calls, [{ name: "add_group", args: 'x = ["a"]' }]);
  assert.deepEqual(admin.replies, []);
});

Deno.test("register: a name or alias used twice is refused", () => {
  const { command } = recorder();
  const dispatcher = new CommandDispatcher().register(command("help", { aliases: ["man"] }));
  assert.throws(() => dispatcher.register(command("MAN")), /used twice: man/);
  assert.throws(() => dispatcher.register(command("x", { aliases: ["help"] })), /used twice/);
  assert.deepEqual(dispatcher.commands.map((c) => c.name), ["help"]);
  assert.equal(dispatcher.find("!Man")?.name, "help");
  assert.equal(dispatcher.find("nope"), undefined);
});

Deno.test("MessageContext.reply splits long answers into several posts", async () => {
  const { ctx, replies } = context("!channels");
  const line = "x".repeat(99);
  await ctx.reply(Array.from({ length: 400 }, () => line).join("\n"));
  assert.equal(replies.length, 3);
  for (const r of replies) assert.ok(r.length <= 16_383);
  assert.equal(replies.join("\n").split("\n").length, 400);
});

Deno.test("hasSideEffects: a command says so itself; other messages ask the app's handler", () => {
  const noop = () => Promise.resolve();
  const d = new CommandDispatcher()
    .register({ name: "run", aliases: ["go"], summary: "s", sideEffects: true, run: noop })
    .register({ name: "help", summary: "s", run: noop });
  const asked: string[] = [];
  const fallback = (ctx: MessageContext) => {
    asked.push(ctx.text);
    return ctx.text === "yes";
  };
  assert.equal(d.hasSideEffects(context("!run backup").ctx, fallback), true);
  assert.equal(d.hasSideEffects(context("!GO backup").ctx, fallback), true, "aliases, any case");
  assert.equal(d.hasSideEffects(context("!help").ctx, fallback), false);
  assert.equal(d.hasSideEffects(context("!nosuch").ctx, fallback), false, "unknown: only a hint");
  assert.equal(d.hasSideEffects(context("yes").ctx, fallback), true);
  assert.equal(d.hasSideEffects(context("Hello all").ctx, fallback), false);
  assert.deepEqual(asked, ["yes", "Hello all"]);
});
