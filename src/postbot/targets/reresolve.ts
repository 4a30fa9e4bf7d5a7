/**
 * The recipients of a scheduled broadcast, resolved again when it goes out: groups and lists
 * may have changed, channels may have been archived or removed, people may have joined or
 * left a channel or the team since it was confirmed. Each name of the
 * answer is resolved on its own, so one name that no longer works does not stop the others;
 * what was skipped is said to the sender.
 *
 * @module
 */

import { err, ok, type Problem, problem, type Result } from "@postbot/framework";
import { tokenize } from "./choose.ts";
import { reachWeight } from "./choose_people.ts";
import { type BroadcastTarget, targetKey } from "../broadcast/model.ts";
import type { ResolveContext } from "./resolution.ts";
import { resolveTargets } from "./resolve.ts";

/** The recipients an answer leads to now, and remarks (channels skipped, names gone). */
export interface Reresolved {
  readonly targets: readonly BroadcastTarget[];
  readonly remarks: readonly string[];
}

/**
 * Resolves `answer` name by name; fails only when no name leads to a channel, with what
 * stopped each name.
 *
 * `unchecked` resolves a name that no longer works for the sender (a channel they have left,
 * a private one they no longer see) as if they could reach everything: the channel is kept,
 * and the sender's authority check at delivery drops it with the reason, which the report and
 * the audit line then give. Without it, such a name is only a remark for the sender.
 */
export async function reresolve(
  answer: string,
  ctx: ResolveContext,
  unchecked?: ResolveContext,
): Promise<Result<Reresolved, readonly Problem[]>> {
  const chosen = new Map<string, BroadcastTarget>();
  const remarks: string[] = [];
  for (const token of tokenize(answer)) {
    let r = await resolveTargets(token, ctx);
    if (!r.ok && unchecked !== undefined) {
      const again = await resolveTargets(token, unchecked);
      if (again.ok) r = { ok: true, value: { ...again.value, warnings: [] } };
    }
    if (!r.ok) {
      remarks.push(...r.error.map((p) => p.message));
      continue;
    }
    for (const t of r.value.targets) {
      const key = targetKey(t);
      const had = chosen.get(key);
      // A person reached twice keeps the way that needs the least authority.
      const lighter = had?.kind === "person" && t.kind === "person" &&
        reachWeight(t.reach) < reachWeight(had.reach);
      if (had !== undefined && !lighter) continue;
      chosen.set(
        key,
        t.kind === "channel"
          ? { kind: "channel", channelId: t.channelId, name: t.name, displayName: t.displayName }
          : {
            kind: "person",
            userId: t.userId,
            username: t.username,
            displayName: t.displayName,
            reach: t.reach,
          },
      );
    }
    for (const w of r.value.warnings) if (!remarks.includes(w)) remarks.push(w);
  }
  if (chosen.size === 0) {
    return err(
      (remarks.length > 0 ? remarks : ["the answer names nothing"]).map((r) => problem(r)),
    );
  }
  return ok({ targets: [...chosen.values()], remarks });
}
