/**
 * Fixtures for the framework's own tests that need a server: a {@link RestTransport} for a
 * seeded emulator's bot, recording every answer. Imported by `_test` files only: the framework
 * depends on the emulator only in its tests and this file (tests/package_boundaries_test.ts),
 * and no entry point of the package exports it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld, type World } from "@postbot/mattermost-emulator/testing";
import { MattermostError } from "./mattermost_error.ts";
import { RestTransport, type TransportOptions } from "./rest.ts";
import { Secret } from "./secret.ts";

/** Retries quickly: tests wait for outcomes, not for backoff. */
export const FAST_BACKOFF = { initialMs: 5, maxMs: 20 };

/**
 * Runs `fn` against a seeded emulator with a transport for its bot; `statuses` records every
 * answer as `"<status> <route>"`.
 */
export async function withTransport(
  fn: (t: RestTransport, w: World, statuses: string[]) => Promise<void>,
  options: Partial<TransportOptions> = {},
): Promise<void> {
  await using emu = await startEmulator();
  const world = seedWorld(emu);
  const statuses: string[] = [];
  const transport = new RestTransport({
    serverUrl: emu.url,
    token: new Secret(world.bot.token),
    backoff: FAST_BACKOFF,
    onResponse: ({ route, status }) => statuses.push(`${status} ${route}`),
    ...options,
  });
  await fn(transport, world, statuses);
}

/** The MattermostError `promise` rejects with; fails the test when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<MattermostError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof MattermostError, `expected a MattermostError, got ${e}`);
    return e;
  }
  assert.fail("the request succeeded");
}
