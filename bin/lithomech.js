#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`).
// On Linux/glibc with transparent huge pages in madvise mode it first starts itself once more
// with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, so that large arrays live on 2 MiB pages
// (src/cli/huge-pages.ts; LITHOMECH_HUGE_PAGES=0 turns this off).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hugePageRelaunch, probeHugePages } from '../dist/cli/huge-pages.js';
import { main } from '../dist/cli/main.js';

const decision = hugePageRelaunch(probeHugePages());
if (decision.relaunch) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: decision.env,
  });
  const forward = (signal) => { child.kill(signal); };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  child.on('error', (err) => { console.error(`lithomech: cannot start the CLI process: ${err.message}`); process.exitCode = 1; });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
      process.kill(process.pid, signal);
    } else process.exitCode = code ?? 1;
  });
} else {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(`lithomech: ${err?.message ?? err}`); process.exitCode = 1; },
  );
}
