/**
 * Shape arithmetic of the native elementwise kernels: numpy broadcasting and transposes
 * collapsed to few dimensions, and the `[outer, red, inner]` block of a reduction. Pure
 * functions, exported for the tests.
 * @module
 */

/**
 * Numpy broadcasting of two shapes collapsed to at most `MAX_RANK` (./ffi.ts) output dims with the
 * element strides of each input (0 = broadcast); null when the shapes do not broadcast.
 * Exported for the tests.
 */
export function collapseBroadcast(
  a: readonly number[],
  b: readonly number[],
): { out: number[]; dims: number[]; sa: number[]; sb: number[] } | null {
  const r = Math.max(a.length, b.length);
  const pa = [...Array(r - a.length).fill(1), ...a] as number[];
  const pb = [...Array(r - b.length).fill(1), ...b] as number[];
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = pa[i]!, y = pb[i]!;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  const dims: number[] = [], sa: number[] = [], sb: number[] = [];
  let strideA = 1, strideB = 1;
  const rev: Array<[number, number, number]> = [];
  for (let i = r - 1; i >= 0; i--) {
    const d = out[i]!;
    const s1 = pa[i] === 1 ? 0 : strideA, s2 = pb[i] === 1 ? 0 : strideB;
    strideA *= pa[i]!;
    strideB *= pb[i]!;
    if (d === 1) continue;
    rev.push([d, s1, s2]);
  }
  for (let k = rev.length - 1; k >= 0; k--) {
    const [d, s1, s2] = rev[k]!;
    const n = dims.length;
    if (n > 0 && sa[n - 1] === s1 * d && sb[n - 1] === s2 * d) {
      dims[n - 1] = dims[n - 1]! * d;
      sa[n - 1] = s1;
      sb[n - 1] = s2;
    } else {
      dims.push(d);
      sa.push(s1);
      sb.push(s2);
    }
  }
  return { out, dims, sa, sb };
}

/**
 * A transpose with size-1 dims dropped and runs of axes that stay adjacent merged: input dims
 * (in input order) and the permutation over them. Exported for the tests.
 */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { dims: number[]; perm: number[] } {
  const kept: number[] = [];
  const newIndex = new Map<number, number>();
  shape.forEach((d, i) => {
    if (d !== 1) {
      newIndex.set(i, kept.length);
      kept.push(d);
    }
  });
  const p = perm.filter((a) => shape[a] !== 1).map((a) => newIndex.get(a)!);
  // groups of consecutive output axes whose input axes are consecutive
  const groups: number[][] = [];
  for (const a of p) {
    const g = groups[groups.length - 1];
    if (g !== undefined && a === g[g.length - 1]! + 1) g.push(a);
    else groups.push([a]);
  }
  const byInput = groups.map((g, k) => ({ first: g[0]!, k, g })).sort((x, y) => x.first - y.first);
  const dims = byInput.map(({ g }) => g.reduce((s, a) => s * kept[a]!, 1));
  const rankOf = new Map(byInput.map(({ k }, i) => [k, i]));
  return { dims, perm: groups.map((_, k) => rankOf.get(k)!) };
}

/**
 * `[outer, red, inner]` of a reduction over `axes` of `shape` when the reduced dims form one
 * contiguous block once size-1 dims are ignored; null otherwise. Exported for the tests.
 */
export function reductionBlock(
  shape: readonly number[],
  axes: readonly number[],
): { outer: number; red: number; inner: number } | null {
  const isAxis = new Set(axes);
  let outer = 1, red = 1, inner = 1;
  let phase = 0; // 0 before the reduced block, 1 inside it, 2 after it
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === 1) continue;
    if (isAxis.has(i)) {
      if (phase === 2) return null;
      phase = 1;
      red *= d;
    } else {
      if (phase === 1) phase = 2;
      if (phase === 0) outer *= d;
      else inner *= d;
    }
  }
  return { outer, red, inner };
}
