import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderFiles } from '../../src/adapters/files/folder-files.js';
import { scaffoldProject } from '../../src/app/project/scaffold-project.js';
import { type LoadedProject, loadProject } from '../../src/config/load-project.js';

/** `ballast init` in `dir`, optionally with the sim answering at once, loaded and checked. */
export async function projectFileSystem(
  dir: string,
  options: { timeScale0?: boolean; noErrors?: boolean } = {},
): Promise<LoadedProject> {
  scaffoldProject(folderFiles(dir), { force: false });
  if (options.timeScale0) {
    const yaml = join(dir, 'ballast.yaml');
    writeFileSync(
      yaml,
      readFileSync(yaml, 'utf8').replace('    seed: 42\n', '    seed: 42\n    timeScale: 0\n'),
    );
  }
  if (options.noErrors) {
    const yaml = join(dir, 'ballast.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replaceAll('error_rate: 0.01', 'error_rate: 0'));
  }
  const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded;
}
