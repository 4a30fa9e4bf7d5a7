/**
 * A tiny reader for the official Mattermost OpenAPI files (copied to tests/fixtures/mattermost-api/):
 * just enough structure -- operations and component schemas -- for the conformance test, by
 * indentation, without a YAML library (none is reachable here).
 */

/** A schema's listed properties (with their declared type) and required names. */
export interface SchemaInfo {
  properties: Map<string, string | undefined>;
  required: string[];
}

/** What the spec declares: "METHOD /path" operations and component schemas. */
export interface SpecIndex {
  operations: Set<string>;
  schemas: Map<string, SchemaInfo>;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch", "options", "head"]);

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Indexes the text of one or more spec files. */
export function indexSpec(texts: string[]): SpecIndex {
  const operations = new Set<string>();
  const schemas = new Map<string, SchemaInfo>();
  for (const text of texts) {
    let path: string | undefined;
    let inSchemas = false;
    let schema: SchemaInfo | undefined;
    let section = "";
    let property: string | undefined;
    for (const line of text.split("\n")) {
      if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
      const indent = indentOf(line);
      const pathMatch = /^ {2}(["']?)(\/[^"']+)\1:\s*$/.exec(line);
      if (pathMatch) {
        path = pathMatch[2];
        continue;
      }
      if (indent <= 2) path = undefined;
      const methodMatch = /^ {4}([a-z]+):\s*$/.exec(line);
      if (path && methodMatch && METHODS.has(methodMatch[1])) {
        operations.add(`${methodMatch[1].toUpperCase()} ${path}`);
        continue;
      }
      if (/^ {2}schemas:\s*$/.test(line)) {
        inSchemas = true;
        continue;
      }
      if (indent <= 2) {
        inSchemas = false;
        schema = undefined;
        continue;
      }
      if (!inSchemas) continue;
      const nameMatch = /^ {4}([\w.-]+):\s*$/.exec(line);
      if (nameMatch) {
        schema = { properties: new Map(), required: [] };
        schemas.set(nameMatch[1], schema);
        section = "";
        continue;
      }
      if (!schema) continue;
      const keyMatch = /^ {6}([\w-]+):/.exec(line);
      if (keyMatch) {
        section = keyMatch[1];
        property = undefined;
        continue;
      }
      if (section === "properties") {
        const propMatch = /^ {8}([\w-]+):/.exec(line);
        if (propMatch) {
          property = propMatch[1];
          schema.properties.set(property, undefined);
          continue;
        }
        const typeMatch = /^ {10}type:\s*(\w+)/.exec(line);
        if (property && typeMatch && schema.properties.get(property) === undefined) {
          schema.properties.set(property, typeMatch[1]);
        }
      } else if (section === "required") {
        const itemMatch = /^ {8}- ([\w-]+)/.exec(line);
        if (itemMatch) schema.required.push(itemMatch[1]);
      }
    }
  }
  return { operations, schemas };
}
