/**
 * Transparent huge pages for the large typed arrays of a solve.
 *
 * On Linux with transparent huge pages in `madvise` mode (the default of many distributions),
 * memory is handed out in 4 KiB pages unless a program asks for 2 MiB ones, and every first
 * touch of a 4 KiB page is a page fault. lithomech's large solves touch 1–2 GB (a 256³ tortuosity
 * solve: the stencil, multigrid levels and Krylov vectors), so on machines where a fault is
 * expensive (virtual machines: the project's 2-core benchmark machine pays ≈ 3 ms per MiB) the
 * faults alone cost seconds. glibc ≥ 2.35 asks for huge pages on its large allocations when the
 * tunable `glibc.malloc.hugetlb=1` is set — and Node allocates ArrayBuffer and SharedArrayBuffer
 * memory with glibc's allocator — but tunables are read at process start, so the launcher
 * (bin/lithomech.js) starts the CLI once more with the tunable set. Measured effect:
 * docs/benchmarks.md, "Huge pages".
 *
 * The relaunch happens only when it can help: Linux, a glibc runtime ≥ 2.35, THP mode `madvise`
 * (with `always` the kernel already uses huge pages, with `never` it cannot), no hugetlb tunable
 * already set by the user, and LITHOMECH_HUGE_PAGES not `0`.
 */
import { readFileSync } from 'node:fs';

export interface HugePageProbe {
  platform: string;
  env: Record<string, string | undefined>;
  /** glibc runtime version ("2.36"), undefined when not glibc */
  glibc?: string;
  /** the selected mode of /sys/kernel/mm/transparent_hugepage/enabled, undefined when unreadable */
  thpMode?: string;
}

/** Marker set in the relaunched process (also stops a second relaunch). */
export const RELAUNCHED_ENV = 'LITHOMECH_HUGE_PAGES_RELAUNCHED';

export function probeHugePages(): HugePageProbe {
  let thpMode: string | undefined;
  let glibc: string | undefined;
  if (process.platform === 'linux') {
    try {
      const m = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
      thpMode = m?.[1];
    } catch { thpMode = undefined; }
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    glibc = header?.glibcVersionRuntime;
  }
  return { platform: process.platform, env: process.env, glibc, thpMode };
}

/**
 * The environment to relaunch the CLI with so that glibc puts large allocations on transparent
 * huge pages, or the reason why not (`relaunch: false`).
 */
export function hugePageRelaunch(p: HugePageProbe): { relaunch: true; env: Record<string, string | undefined> } | { relaunch: false; reason: string } {
  const tunables = p.env.GLIBC_TUNABLES ?? '';
  if (p.env[RELAUNCHED_ENV] === '1') return { relaunch: false, reason: 'already relaunched' };
  if (p.env.LITHOMECH_HUGE_PAGES === '0') return { relaunch: false, reason: 'LITHOMECH_HUGE_PAGES=0' };
  if (p.platform !== 'linux') return { relaunch: false, reason: `platform ${p.platform}` };
  if (!p.glibc) return { relaunch: false, reason: 'not a glibc runtime' };
  const [major, minor] = p.glibc.split('.').map(Number);
  if (!(major > 2 || (major === 2 && minor >= 35))) return { relaunch: false, reason: `glibc ${p.glibc} < 2.35 has no hugetlb tunable` };
  if (p.thpMode !== 'madvise') return { relaunch: false, reason: `transparent huge pages mode ${p.thpMode ?? 'unknown'}` };
  if (/glibc\.malloc\.hugetlb=/.test(tunables)) return { relaunch: false, reason: 'GLIBC_TUNABLES already sets glibc.malloc.hugetlb' };
  const env = { ...p.env, GLIBC_TUNABLES: tunables ? `${tunables}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1', [RELAUNCHED_ENV]: '1' };
  return { relaunch: true, env };
}
