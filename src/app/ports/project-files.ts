/** A folder a use case may read and write, addressed by paths relative to it. */
export interface ProjectFiles {
  exists(relativePath: string): boolean;
  /** Creates parent folders as needed; replaces an existing file. */
  write(relativePath: string, content: string): void;
}
