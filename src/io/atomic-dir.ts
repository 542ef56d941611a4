/**
 * Atomic output directories: results are written into a temporary sibling directory and renamed
 * into place only when everything succeeded, so a failed or interrupted run never leaves a
 * half-written output directory under the requested name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../core/errors.js';

/** Files whose presence marks a directory as lithomech output (safe to replace). */
export const OUTPUT_MARKERS = ['rve.json', 'summary.json'] as const;

type OutState = 'absent' | 'replaceable';

/** Throws InputError('--out', ...) unless outDir is absent, empty, or a previous lithomech output. */
async function checkOutDir(outDir: string): Promise<OutState> {
  let st;
  try {
    st = await stat(outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (!st.isDirectory()) throw new InputError('--out', 'exists and is not a directory');
  const names = await readdir(outDir);
  if (names.length === 0 || OUTPUT_MARKERS.some((m) => names.includes(m))) return 'replaceable';
  throw new InputError('--out', 'exists and is not a lithomech output directory');
}

function suffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Run `fn` with a fresh temporary directory next to `outDir` (`${outDir}.tmp-<pid>-<random>`); on
 * success move it to `outDir` (replacing an empty directory or a previous lithomech output), on
 * failure delete it and rethrow. Returns what `fn` returns.
 */
export async function withAtomicOutputDir<T>(outDir: string, fn: (tmpDir: string) => Promise<T>): Promise<T> {
  const target = resolve(outDir);
  if (basename(target) === '' || target === dirname(target)) throw new InputError('--out', 'cannot be the file-system root');
  // Fail before doing any work when the target is unusable.
  await checkOutDir(target);
  await mkdir(dirname(target), { recursive: true });
  const tmpDir = `${target}.tmp-${suffix()}`;
  await mkdir(tmpDir);
  let result: T;
  try {
    result = await fn(tmpDir);
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
  try {
    // Check again: something may have appeared while fn ran.
    const state = await checkOutDir(target);
    if (state === 'absent') {
      await rename(tmpDir, target);
    } else {
      // Move the old directory aside first, so the new one can take its name atomically; restore
      // it if that fails.
      const old = `${target}.old-${suffix()}`;
      await rename(target, old);
      try {
        await rename(tmpDir, target);
      } catch (err) {
        await rename(old, target).catch(() => undefined);
        throw err;
      }
      await rm(old, { recursive: true, force: true });
    }
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
  return result;
}
