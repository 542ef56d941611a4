/**
 * Debian's VTK (python3-vtk9) as an independent reference in tests. Only /usr/bin/python3 sees
 * Debian's Python packages (a pyenv python3 comes first on PATH).
 */
import { spawnSync } from 'node:child_process';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const VTK_MISSING = 'python3-vtk9 is missing: `/usr/bin/python3 -c "import vtk"` fails (apt-get install python3-vtk9)';

const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import vtk; print(vtk.vtkVersion.GetVTKVersion())'], { encoding: 'utf8' });
export const VTK_VERSION: string | null = probe.status === 0 ? probe.stdout.trim() : null;
export const HAVE_VTK = VTK_VERSION !== null;
/** On CI a missing VTK is a failure, not a skip. */
export const VTK_REQUIRED = Boolean(process.env.CI);

/** Run a python script with Debian's python; returns parsed JSON stdout or throws with stderr. */
export function runPythonJson<T = unknown>(script: string, args: string[] = [], timeoutMs = 600_000): T {
  const r = spawnSync(SYSTEM_PYTHON, [script, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
