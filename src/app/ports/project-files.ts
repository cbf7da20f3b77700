/** A folder a use case may read and write, addressed by paths relative to it. */
export interface ProjectFiles {
  exists(relativePath: string): boolean;
  /** The file's text, or undefined when there is no such file. */
  read(relativePath: string): string | undefined;
  /** Creates parent folders as needed; replaces an existing file. */
  write(relativePath: string, content: string): void;
}
