/**
 * Target resolution as the wizard and scheduled sends use it: the decision of choose.ts in
 * words (targets_text.ts), and which whitelist entries the sender may not see named.
 *
 * @module
 */

import { err, ok, type Problem, type Result } from "@postbot/framework";
import type { ChannelCache } from "../channel_cache.ts";
import { type ChannelsConfig, nameKey } from "../channels/parse.ts";
import type { Viewer } from "../privacy.ts";
import { chooseTargets } from "./choose.ts";
import type { Resolution, ResolveContext } from "./resolution.ts";
import { remarkText, targetProblemText } from "./targets_text.ts";

/** Resolves an answer; on failure returns one problem per name, each saying what to do. */
export async function resolveTargets(
  answer: string,
  ctx: ResolveContext,
): Promise<Result<Resolution, readonly Problem[]>> {
  const chosen = await chooseTargets(answer, ctx);
  if (!chosen.ok) {
    return err(chosen.error.flatMap(targetProblemText).map((message) => ({ message })));
  }
  return ok({
    targets: chosen.value.targets,
    warnings: chosen.value.remarks.map(remarkText),
    everyone: chosen.value.everyone,
  });
}

/**
 * Whitelist entries that name a private channel the viewer may not see: the wizard's question
 * leaves them (and aliases to them) out.
 */
export async function hiddenWhitelist(
  config: ChannelsConfig,
  cache: Pick<ChannelCache, "all">,
  viewer: Viewer,
): Promise<Set<string>> {
  const hidden = new Set<string>();
  for (const entry of config.whitelist) {
    const key = nameKey(entry.replace(/^~/, ""));
    const channels = cache.all().filter((c) => c.id === entry || c.name.toLowerCase() === key);
    for (const c of channels) {
      if (!await viewer.canSee({ id: c.id, type: c.type })) hidden.add(entry);
    }
  }
  return hidden;
}
