import { Presets, SingleBar } from 'cli-progress';
import type { Io } from './io.js';

export interface Progress {
  start(total: number): void;
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (on stderr, so stdout stays clean for --json and pipes); plain
 * lines at every tenth otherwise, so a CI log shows the run is alive without a wall of updates.
 */
export function startProgress(io: Io, options: { enabled: boolean; label: string }): Progress {
  if (!options.enabled) return { start: () => undefined, update: () => undefined, stop: () => undefined };
  if (io.isTTY) {
    const bar = new SingleBar(
      {
        format: `{bar} {value}/{total} ${options.label} · {percentage}% · eta {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      start: (total) => {
        bar.start(total, 0);
        started = true;
      },
      update: (done) => bar.update(done),
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastTenth = -1;
  return {
    start: (total) => io.err(`evaluating ${total} ${options.label}…`),
    update: (done, total) => {
      const tenth = Math.floor((done / Math.max(1, total)) * 10);
      if (tenth > lastTenth && done < total) {
        lastTenth = tenth;
        if (tenth > 0) io.err(`${done}/${total} ${options.label}`);
      }
    },
    stop: () => undefined,
  };
}
