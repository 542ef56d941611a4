/** Run the built CLI (dist/, built by `npm test` before vitest) as a user would. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve(__dirname, '../../bin/lithomech.js');

export interface CliResult { code: number; stdout: string; stderr: string }

export function lithomech(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeoutMs ?? 600_000, env: { ...process.env, FORCE_COLOR: '0' } });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
