import assert from "node:assert/strict";
import { ENGINES } from "../database/testing.ts";
import { BroadcastLog } from "../broadcast/log.ts";
import { StoredProcessedPosts } from "./processed_posts.ts";
import { TaskHistory } from "../../tasks/history.ts";
import { copyToPostgres } from "./copy_to_postgres.ts";

Deno.test("copyToPostgres: every row moves, in order; ids go on; a second copy is refused", async () => {
  const sqlite = await ENGINES.sqlite();
  const pg = await ENGINES.postgres();
  try {
    const log = new BroadcastLog(sqlite);
    const targets = [1, 2, 3].map((n) => ({
      kind: "channel" as const,
      channelId: `c${n}`,
      name: `ch-${n}`,
      displayName: `Ch ${n}`,
    }));
    await log.create({
      id: "k3m9x2qa",
      senderId: "u1",
      senderUsername: "alice",
      targetAnswer: "all",
      message: "Hello",
      files: [],
      sourcePostId: null,
      targets,
    });
    await log.markDelivered("k3m9x2qa", targets[1], "p2");
    await log.addEvent("k3m9x2qa", { id: "u1", username: "alice" }, "retry", "1 recipient");
    await new StoredProcessedPosts(sqlite).claim("post1", "dm1", 5);
    await new TaskHistory(sqlite).start("report", "schedule", null, 1_000);

    const copied = await copyToPostgres(sqlite, pg);
    assert.ok(copied.ok);
    assert.equal(copied.value.get("deliveries"), 3);
    const moved = new BroadcastLog(pg);
    assert.equal((await moved.get("k3m9x2qa"))?.message, "Hello");
    assert.deepEqual(
      (await moved.deliveries("k3m9x2qa")).map((d) => [d.status, d.postId]),
      [["pending", null], ["delivered", "p2"], ["pending", null]],
    );
    assert.equal(await new StoredProcessedPosts(pg).claim("post1", "dm1", 5), false);
    const next = await new TaskHistory(pg).start("report", "command", "bob", 2_000);
    assert.equal(next, 2, "the identity goes on after the copied ids");
    const again = await copyToPostgres(sqlite, pg);
    assert.ok(!again.ok);
    assert.match(again.error.message, /already holds data/);
  } finally {
    await sqlite.close();
    await pg.close();
  }
});
