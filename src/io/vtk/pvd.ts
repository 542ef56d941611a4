/**
 * ParaView collection (.pvd): a time series of data set files, opened in ParaView as one source.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { formatNumber, xmlEscape } from './xml-encoding.js';

export interface PvdEntry {
  /** Simulation time of this step (s). */
  time: number;
  /** Data set file; absolute paths are made relative to the .pvd's directory. */
  file: string;
}

/** Write a .pvd collection referencing `entries` (file paths stored relative, with "/"). */
export async function writePvd(path: string, entries: PvdEntry[]): Promise<void> {
  const baseDir = dirname(path);
  const lines = entries.map((e) => {
    if (!Number.isFinite(e.time)) throw new Error(`writePvd: non-finite time ${e.time} for ${e.file}`);
    const rel = isAbsolute(e.file) ? relative(baseDir, e.file) : e.file;
    const file = rel.split(sep).join('/');
    return `    <DataSet timestep="${formatNumber(e.time)}" group="" part="0" file="${xmlEscape(file)}"/>\n`;
  });
  const xml =
    '<?xml version="1.0"?>\n' +
    '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">\n' +
    '  <Collection>\n' +
    lines.join('') +
    '  </Collection>\n' +
    '</VTKFile>\n';
  await writeFile(path, xml, 'utf8');
}
