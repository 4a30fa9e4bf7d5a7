/**
 * Path templates like "/api/v4/teams/{team_id}/channels": the route table and fault rules
 * are declared with them, in the OpenAPI spec's own notation.
 */

/** A compiled template: matches a path and returns its parameters. */
export interface PathPattern {
  readonly template: string;
  match(path: string): Record<string, string> | undefined;
}

/** Compiles a template; `{name}` matches one non-empty path segment. */
export function compilePath(template: string): PathPattern {
  const names: string[] = [];
  const source = template
    .split("/")
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (m) {
        names.push(m[1]);
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  const regex = new RegExp(`^${source}/?$`);
  return {
    template,
    match(path: string) {
      const m = regex.exec(path);
      if (!m) return undefined;
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return params;
    },
  };
}
