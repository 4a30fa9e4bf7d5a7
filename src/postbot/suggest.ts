/**
 * "Did you mean" suggestions for names a user mistyped.
 *
 * @module
 */

/** Edit distance between two strings (case already normalised by the caller). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(
        prev[j] + 1,
        row[j - 1] + 1,
        prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[y.length];
}

/**
 * Up to `max` candidates close to `input`: within an edit distance of a third of its length
 * (at least 1, at most 3), or containing it / contained in it. Best first.
 */
export function suggest(input: string, candidates: Iterable<string>, max = 3): string[] {
  const wanted = input.toLowerCase().trim();
  if (wanted === "" || wanted.length > 100) return [];
  const limit = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  const scored = new Map<string, number>();
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (c === "" || scored.has(candidate)) continue;
    const d = editDistance(wanted, c);
    const related = wanted.length >= 3 && (c.includes(wanted) || wanted.includes(c));
    if (d <= limit || related) scored.set(candidate, related ? Math.min(d, limit) : d);
  }
  return [...scored].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, max).map(([c]) => c);
}
