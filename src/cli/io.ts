import { createColors } from 'picocolors';

/** Where a command writes, and whether a person is watching (colours, progress). */
export interface Io {
  out(text: string): void;
  /** Writes text as is, without a newline: streamed output. */
  write(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
  readonly color: ReturnType<typeof createColors>;
}

export function streamIo(
  stdout: NodeJS.WritableStream & { isTTY?: boolean },
  stderr: NodeJS.WritableStream,
  options: { color: boolean },
): Io {
  // A reader that went away (`ballast log | head -1`) is not an error of the command: stop writing
  // and let it finish with its own exit code, instead of dying on an unhandled EPIPE.
  let gone = false;
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    gone = true;
  });
  const put = (text: string): void => {
    if (!gone) stdout.write(text);
  };
  return {
    out: (text) => put(text.endsWith('\n') ? text : `${text}\n`),
    write: put,
    err: (text) => stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    isTTY: stdout.isTTY === true,
    color: createColors(options.color),
  };
}

/** Captures output in memory, for tests and for callers embedding the CLI. */
export function memoryIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    write: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    isTTY: false,
    color: createColors(false),
  };
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
