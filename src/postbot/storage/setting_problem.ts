/**
 * A problem with a place a setting names (a file, a directory, the database), found while
 * starting. The operator fixes it like a configuration problem, so the entry point lists it
 * like one (exit status 2) rather than as a failure to reach the server (status 1).
 *
 * @module
 */

import type { ConfigProblem, Problem } from "@postbot/framework";
import type { DatabaseProblem } from "@postbot/framework/sqlite";

/** A {@link Problem} about the place `variable` names; `detail` follows the name in a list. */
export interface SettingProblem extends Problem {
  readonly variable: string;
  readonly detail: string;
}

/** A configuration problem (`DB_PATH points at ...`) as a {@link SettingProblem}. */
export function settingProblem(p: ConfigProblem): SettingProblem {
  return {
    variable: p.variable,
    detail: p.message,
    message: `${p.variable} ${p.message}`,
    ...(p.hint === undefined ? {} : { hint: p.hint }),
  };
}

/** A database that cannot be used, as a {@link SettingProblem}. */
export function databaseSettingProblem(p: DatabaseProblem): SettingProblem {
  return settingProblem({ variable: p.setting, message: p.detail, hint: p.hint });
}

/** True for a {@link SettingProblem}. */
export function isSettingProblem(p: Problem): p is SettingProblem {
  return typeof (p as { variable?: unknown }).variable === "string" &&
    typeof (p as { detail?: unknown }).detail === "string";
}

/** The problem as the startup list shows it. */
export function asConfigProblem(p: SettingProblem): ConfigProblem {
  return { variable: p.variable, message: p.detail, ...(p.hint ? { hint: p.hint } : {}) };
}
