/**
 * A `deno lint` plugin that keeps functions short enough to read in one screen and classes
 * small enough to hold one job.
 *
 * Long functions were where decisions, I/O and message wording got mixed; classes grew by
 * accretion as features landed on top (the wizard, the bot, the broadcaster, the emulator's
 * store each passed 450 lines). These rules keep the split (decide as a typed outcome, render
 * separately; one class per job) from eroding. Test files are left out: a scenario test is a
 * narrative of steps, not logic.
 *
 * @module
 */

/** Lines a function may span, from its first line to its last. */
export const MAX_FUNCTION_LINES = 80;

/** Lines a class may span, from its first line to its last. */
export const MAX_CLASS_LINES = 300;

/** Whether a file is a test, whose scenario callbacks are exempt. */
export function isTestFile(filename: string): boolean {
  return /_test\.ts$/.test(filename) || /(^|[/\\])tests[/\\]/.test(filename);
}

/** Counts the lines between two offsets of a source text, both ends included. */
export function lineSpan(text: string, start: number, end: number): number {
  let lines = 1;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines;
}

type FunctionNode =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression;

/** The name a report uses for a function: its own, its method's or its variable's. */
function nameOf(node: FunctionNode): string {
  if (node.type === "FunctionDeclaration" && node.id) return node.id.name;
  const parent = node.parent;
  if (parent.type === "MethodDefinition" || parent.type === "Property") {
    const key = parent.key;
    if (key.type === "Identifier") return key.name;
    if (key.type === "PrivateIdentifier") return `#${key.name}`;
  }
  if (parent.type === "VariableDeclarator" && parent.id.type === "Identifier") {
    return parent.id.name;
  }
  return "an anonymous function";
}

/** The plugin `deno.json` names under `lint.plugins`. */
const plugin: Deno.lint.Plugin = {
  name: "postbot",
  rules: {
    "max-function-lines": {
      create(context) {
        if (isTestFile(context.filename)) return {};
        const check = (node: FunctionNode) => {
          const [start, end] = node.range;
          const lines = lineSpan(context.sourceCode.text, start, end);
          if (lines <= MAX_FUNCTION_LINES) return;
          context.report({
            node,
            message: `${nameOf(node)} spans ${lines} lines (at most ${MAX_FUNCTION_LINES})`,
            hint: "Split it: decide as a typed outcome, render or act on it separately.",
          });
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
    "max-class-lines": {
      create(context) {
        if (isTestFile(context.filename)) return {};
        const check = (node: Deno.lint.ClassDeclaration | Deno.lint.ClassExpression) => {
          const [start, end] = node.range;
          const lines = lineSpan(context.sourceCode.text, start, end);
          if (lines <= MAX_CLASS_LINES) return;
          context.report({
            node,
            message: `class ${node.id?.name ?? "(anonymous)"} spans ${lines} lines (at most ` +
              `${MAX_CLASS_LINES})`,
            hint: "Split it along its jobs: one class per job, composed by a small one.",
          });
        };
        return { ClassDeclaration: check, ClassExpression: check };
      },
    },
  },
};

export default plugin;
