import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ProjectFiles } from '../../app/ports/project-files.js';

/** ProjectFiles over a folder on disk. */
export function folderFiles(root: string): ProjectFiles {
  return {
    exists: (rel) => existsSync(resolve(root, rel)),
    read: (rel) => {
      try {
        return readFileSync(resolve(root, rel), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    write: (rel, content) => {
      const path = resolve(root, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    },
  };
}
