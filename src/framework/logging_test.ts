import assert from "node:assert/strict";
import { logger, setupLogging } from "./logging.ts";
import { Secret } from "./secret.ts";

Deno.test("the file sink appends lines at its level, scrubbed of secrets, and closes on dispose", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nested/bot.log`;
    const token = "s3cr3t-t0ken-value-xyz";
    // Created before setup, as modules do when they load: it logs under the app's name.
    const log = logger("test");
    const dispose = await setupLogging({
      logLevel: "info",
      consoleLogLevel: "fatal",
      logFile: path,
      secrets: [new Secret(token)],
      app: "hellobot",
    });
    log.debug("below the file level");
    log.info("first line carries {value}", { value: `Bearer ${token}` });
    log.warn("second line");
    await dispose();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /\[INF\] hellobot·test: first line carries/);
    assert.doesNotMatch(lines[0], new RegExp(token));
    assert.match(lines[1], /second line/);
    // Appends to what is there after a restart.
    const again = await setupLogging({
      logLevel: "info",
      consoleLogLevel: "fatal",
      logFile: path,
      secrets: [],
      app: "hellobot",
    });
    logger("test").error("third line");
    await again();
    assert.equal((await Deno.readTextFile(path)).trimEnd().split("\n").length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
