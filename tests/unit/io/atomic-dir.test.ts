import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { withAtomicOutputDir } from '../../../src/io/atomic-dir.js';

let root: string;
beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'lithomech-atomic-')); });
afterEach(() => { rmSync(root, { recursive: true, force: true }); });

/** Everything in `root` except the output directory itself (temporary or old siblings). */
function leftovers(out: string): string[] {
  return readdirSync(dirname(out)).filter((n) => n !== basename(out));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
}

describe('withAtomicOutputDir', () => {
  it('creates the output from a temporary sibling and returns fn\'s result', async () => {
    const out = join(root, 'run');
    let seen = '';
    const result = await withAtomicOutputDir(out, async (tmp) => {
      seen = tmp;
      expect(dirname(tmp)).toBe(root);
      expect(basename(tmp)).toMatch(new RegExp(`^run\\.tmp-${process.pid}-[0-9a-f]+$`));
      expect(existsSync(out)).toBe(false); // nothing at the target while fn runs
      await writeFile(join(tmp, 'summary.json'), '{"ok":true}');
      return 42;
    });
    expect(result).toBe(42);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe('{"ok":true}');
    expect(existsSync(seen)).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });

  it('on failure removes the temporary directory, rethrows, and leaves nothing at outDir', async () => {
    const out = join(root, 'run');
    const boom = new Error('solver diverged');
    const err = await rejection(withAtomicOutputDir(out, async (tmp) => {
      await writeFile(join(tmp, 'partial.vti'), 'half');
      throw boom;
    }));
    expect(err).toBe(boom);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });

  it('replaces an empty directory', async () => {
    const out = join(root, 'run');
    mkdirSync(out);
    await withAtomicOutputDir(out, async (tmp) => writeFile(join(tmp, 'rve.json'), '{}'));
    expect(readdirSync(out)).toEqual(['rve.json']);
    expect(leftovers(out)).toEqual([]);
  });

  for (const marker of ['rve.json', 'summary.json']) {
    it(`replaces a previous lithomech output (marker ${marker}) entirely`, async () => {
      const out = join(root, 'run');
      mkdirSync(join(out, 'fields'), { recursive: true });
      writeFileSync(join(out, marker), '{}');
      writeFileSync(join(out, 'fields', 'old.vti'), 'old');
      await withAtomicOutputDir(out, async (tmp) => writeFile(join(tmp, 'summary.json'), 'new'));
      expect(readdirSync(out)).toEqual(['summary.json']);
      expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe('new');
      expect(leftovers(out)).toEqual([]);
    });
  }

  it('keeps a previous output untouched when fn fails', async () => {
    const out = join(root, 'run');
    mkdirSync(out);
    writeFileSync(join(out, 'rve.json'), 'previous');
    await expect(withAtomicOutputDir(out, async () => { throw new Error('nope'); })).rejects.toThrow('nope');
    expect(readdirSync(out)).toEqual(['rve.json']);
    expect(readFileSync(join(out, 'rve.json'), 'utf8')).toBe('previous');
    expect(leftovers(out)).toEqual([]);
  });

  it('refuses a non-empty directory that is not lithomech output, before running fn', async () => {
    const out = join(root, 'thesis');
    mkdirSync(out);
    writeFileSync(join(out, 'chapter1.tex'), 'precious');
    let ran = false;
    const err = await rejection(withAtomicOutputDir(out, async () => { ran = true; }));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).source).toBe('--out');
    expect((err as InputError).message).toBe('--out: exists and is not a lithomech output directory');
    expect(ran).toBe(false);
    expect(readFileSync(join(out, 'chapter1.tex'), 'utf8')).toBe('precious');
    expect(leftovers(out)).toEqual([]);
  });

  it('refuses a path that is a regular file', async () => {
    const out = join(root, 'file.txt');
    writeFileSync(out, 'x');
    const err = await rejection(withAtomicOutputDir(out, async () => undefined));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).source).toBe('--out');
    expect(readFileSync(out, 'utf8')).toBe('x');
  });

  it('creates missing parent directories', async () => {
    const out = join(root, 'a', 'b', 'run');
    await withAtomicOutputDir(out, async (tmp) => writeFile(join(tmp, 'rve.json'), '{}'));
    expect(readdirSync(out)).toEqual(['rve.json']);
    expect(leftovers(out)).toEqual([]);
  });

  it('refuses if a foreign directory appeared at outDir while fn ran, and cleans up', async () => {
    const out = join(root, 'run');
    const err = await rejection(withAtomicOutputDir(out, async (tmp) => {
      writeFileSync(join(tmp, 'rve.json'), '{}');
      mkdirSync(out);
      writeFileSync(join(out, 'someone-else.txt'), 'x');
    }));
    expect(err).toBeInstanceOf(InputError);
    expect(readdirSync(out)).toEqual(['someone-else.txt']);
    expect(leftovers(out)).toEqual([]);
  });
});
