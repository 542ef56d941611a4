import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hugePageRelaunch, probeHugePages, RELAUNCHED_ENV } from '../../../src/cli/huge-pages.js';
import { BIN } from '../../helpers/cli.js';

const linux = { platform: 'linux', glibc: '2.36', thpMode: 'madvise' };

describe('hugePageRelaunch', () => {
  it('relaunches with the glibc tunable on Linux/glibc ≥ 2.35 with THP in madvise mode', () => {
    const d = hugePageRelaunch({ ...linux, env: { PATH: '/bin' } });
    expect(d.relaunch).toBe(true);
    if (d.relaunch) {
      expect(d.env.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=1');
      expect(d.env[RELAUNCHED_ENV]).toBe('1');
      expect(d.env.PATH).toBe('/bin');
    }
  });

  it('appends to tunables the user already set', () => {
    const d = hugePageRelaunch({ ...linux, env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } });
    expect(d.relaunch && d.env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  });

  it.each([
    [{ ...linux, env: { [RELAUNCHED_ENV]: '1' } }, 'already relaunched'],
    [{ ...linux, env: { LITHOMECH_HUGE_PAGES: '0' } }, 'LITHOMECH_HUGE_PAGES=0'],
    [{ ...linux, env: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } }, 'already sets'],
    [{ ...linux, platform: 'darwin', env: {} }, 'platform darwin'],
    [{ ...linux, glibc: undefined, env: {} }, 'not a glibc runtime'],
    [{ ...linux, glibc: '2.31', env: {} }, '2.31 < 2.35'],
    [{ ...linux, thpMode: 'always', env: {} }, 'mode always'],
    [{ ...linux, thpMode: 'never', env: {} }, 'mode never'],
  ])('does not relaunch: %#', (probe, reason) => {
    const d = hugePageRelaunch(probe);
    expect(d.relaunch).toBe(false);
    if (!d.relaunch) expect(d.reason).toContain(reason);
  });
});

describe('bin/lithomech.js relaunch', () => {
  // --import runs in the launcher and, through execArgv, in the relaunched CLI: both report their tunables
  const hook = 'data:text/javascript,process.stderr.write(`tunables:${process.env.GLIBC_TUNABLES}\\n`)';
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', hook, BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, GLIBC_TUNABLES: '' } });

  it('the CLI process gets the tunable when the probe says so, and exit codes pass through', () => {
    const expected = hugePageRelaunch({ ...probeHugePages(), env: { GLIBC_TUNABLES: '' } });
    const ok = run(['--version']);
    expect(ok.status).toBe(0);
    const lines = ok.stderr.split('\n').filter((l) => l.startsWith('tunables:'));
    if (expected.relaunch) expect(lines).toEqual(['tunables:', 'tunables:glibc.malloc.hugetlb=1']);
    else expect(lines).toEqual(['tunables:']);
    const bad = run(['tortuosity', '/nonexistent/volume.tif', '--phase', 'pore']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/volume\.tif/);
  });

  it('LITHOMECH_HUGE_PAGES=0 runs the CLI in the launcher process', () => {
    const r = run(['--version'], { LITHOMECH_HUGE_PAGES: '0' });
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('tunables:'))).toEqual(['tunables:']);
  });
});
