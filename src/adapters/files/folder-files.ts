import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ProjectFiles } from '../../app/ports/project-files.js';

/** ProjectFiles over a folder on disk. */
export function folderFiles(root: string): ProjectFiles {
  return {
    exists: (rel) => existsSync(resolve(root, rel)),
    write: (rel, content) => {
      const path = resolve(root, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    },
  };
}
