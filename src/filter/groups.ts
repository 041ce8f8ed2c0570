/**
 * Post-processing of captured groups: `alt_<name>[_N]` values fill `<name>` when it is
 * empty, `tuple_<name>[_N]` values are combined with `<name>` into one tuple value.
 * Worked out once per regex, so matching a line only walks the few names involved.
 */

const COMPLEX_NAME = /^(alt_|tuple_)(.*?)(?:_\d+)?$/;

/** fail2ban's tag → group-name mapping (`F-ID` → `fid`, `F-PORT` → `fport`). */
export function mapTagName(tag: string): string {
  const t = tag.toLowerCase();
  return t === 'id' ? 'fid' : t === 'port' ? 'fport' : t;
}

export interface GroupPlan {
  alt: readonly (readonly [from: string, to: string])[];
  tuple: readonly (readonly [from: string, to: string])[];
}

export function planGroups(groupNames: readonly string[]): GroupPlan | null {
  const alt: [string, string][] = [];
  const tuple: [string, string][] = [];
  for (const name of groupNames) {
    if (name.length <= 4) continue;
    const m = COMPLEX_NAME.exec(name);
    if (!m) continue;
    (m[1] === 'alt_' ? alt : tuple).push([name, mapTagName(m[2]!)]);
  }
  if (alt.length === 0 && tuple.length === 0) return null;
  const byName = (a: readonly [string, string], b: readonly [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  alt.sort(byName);
  tuple.sort(byName);
  return { alt, tuple };
}

/** Python-like repr of a tuple of optional strings, used as the combined value. */
function tupleRepr(items: (string | undefined)[]): string {
  return `(${items.map((v) => (v === undefined ? 'None' : `'${v}'`)).join(', ')}${items.length === 1 ? ',' : ''})`;
}

/** Applies the plan in place. */
export function applyGroupPlan(plan: GroupPlan, groups: Record<string, string | undefined>): void {
  for (const [from, to] of plan.alt) {
    const v = groups[from];
    if (v && !groups[to]) groups[to] = v;
  }
  if (plan.tuple.length === 0) return;
  const tuples = new Map<string, (string | undefined)[]>();
  for (const [from, to] of plan.tuple) {
    let t = tuples.get(to);
    if (!t) tuples.set(to, (t = [groups[to]]));
    t.push(groups[from]);
  }
  for (const [to, items] of tuples) groups[to] = tupleRepr(items);
}
