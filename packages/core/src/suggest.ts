/**
 * "Did you mean `fc1`?": nearest names by Damerau-Levenshtein (optimal string alignment) distance,
 * compared against whole names and against their segments, so a typo in one segment of a long path
 * still finds the real one.
 */

/** Optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions). Stops early past `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = new Array<number>(m + 1);
  let cur = new Array<number>(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const bj = b.charCodeAt(j - 1);
      const cost = ai === bj ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[m]!;
}

/** How far a suggestion may be: short words allow fewer edits than long paths. */
function threshold(query: string): number {
  return Math.max(1, Math.min(4, Math.floor(query.length / 3)));
}

/**
 * The `k` candidates nearest to `query` (best first), among `names`. A name also counts as near when
 * one of its segments (split on `.` and `/`) is near, and then the segment itself is what is
 * suggested when the query has one segment. Returns [] when nothing is close enough to be useful.
 */
export function nearestNames(query: string, names: readonly string[], k = 3): string[] {
  if (typeof query !== 'string' || !Array.isArray(names)) return [];
  const q = query.trim();
  if (q === '') return [];
  const max = threshold(q);
  const qLower = q.toLowerCase();
  const querySegments = q.split(/[./]/).filter((s) => s !== '').length;
  const best = new Map<string, number>();
  const consider = (cand: string, penalty: number) => {
    if (cand === '' || cand === q) return;
    const cl = cand.toLowerCase();
    // Case-only differences are the cheapest mistakes.
    let d = cl === qLower ? 0.5 : editDistance(qLower, cl, max) + penalty;
    // A prefix either way ('training' for 'train', 'fc' for 'fc1') is a near miss, whatever its length.
    if (d > 1 && Math.min(cl.length, qLower.length) >= 2 && (cl.startsWith(qLower) || qLower.startsWith(cl)))
      d = 1.5;
    if (d > max) return;
    const old = best.get(cand);
    if (old === undefined || d < old) best.set(cand, d);
  };
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || seen.has(name)) continue;
    seen.add(name);
    consider(name, 0);
    if (querySegments === 1) {
      for (const seg of name.split(/[./]/)) {
        if (seen.has(seg)) continue;
        seen.add(seg);
        consider(seg, 0);
      }
    }
  }
  return [...best.entries()]
    .sort((x, y) => x[1] - y[1] || x[0].length - y[0].length || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, Math.max(0, k))
    .map(([name]) => name);
}
