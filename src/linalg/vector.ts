/**
 * Dense vector kernels on Float64Array. All loops are plain indexed loops over typed arrays
 * (the fastest form in V8); lengths are taken from the first argument.
 */

/** x · y */
export function dot(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let s0 = 0, s1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
  }
  if (i < n) s0 += x[i] * y[i];
  return s0 + s1;
}

/**
 * ‖v‖ from an already summed s = Σ v_i² (e.g. a fused kernel's reduction): √s, or the rescaled
 * norm2(v) when s over- or underflowed.
 */
export function normFromSquares(s: number, v: Float64Array): number {
  return s > 1e-280 && s < 1e280 ? Math.sqrt(s) : norm2(v);
}

/** ‖x‖₂, scaled to avoid overflow/underflow for extreme magnitudes. */
export function norm2(x: Float64Array): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  if (s > 1e-280 && s < 1e280) return Math.sqrt(s);
  // Rescaled fallback.
  const m = normInf(x);
  if (m === 0 || !Number.isFinite(m)) return m;
  let t = 0;
  for (let i = 0; i < n; i++) { const v = x[i] / m; t += v * v; }
  return m * Math.sqrt(t);
}

/** max |x_i| */
export function normInf(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) { const a = Math.abs(x[i]); if (a > m || a !== a) m = a; }
  return m;
}

/** Σ |x_i| */
export function norm1(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  return s;
}

/** y ← y + a x */
export function axpy(a: number, x: Float64Array, y: Float64Array): void {
  const n = y.length;
  for (let i = 0; i < n; i++) y[i] += a * x[i];
}

/** y ← x + a y */
export function xpay(x: Float64Array, a: number, y: Float64Array): void {
  const n = y.length;
  for (let i = 0; i < n; i++) y[i] = x[i] + a * y[i];
}

/** w ← a x + b y */
export function axpby(a: number, x: Float64Array, b: number, y: Float64Array, w: Float64Array): void {
  const n = w.length;
  for (let i = 0; i < n; i++) w[i] = a * x[i] + b * y[i];
}

/** x ← a x */
export function scale(a: number, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}

/** dst ← src */
export function copy(src: Float64Array, dst: Float64Array): void {
  dst.set(src);
}

/** w ← x ⊙ y (element-wise product) */
export function pointwiseMultiply(x: Float64Array, y: Float64Array, w: Float64Array): void {
  for (let i = 0; i < w.length; i++) w[i] = x[i] * y[i];
}

/** True when every entry is finite. */
export function allFinite(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}
