/** Runs shorter than this never show a bar. */
const SHOW_AFTER_MS = 2000;

export interface Progress {
  update: (fraction: number) => void;
  stop: () => void;
}

/** A progress bar on stderr for long runs; null when stderr is not a terminal. */
export async function startProgress(): Promise<Progress | null> {
  if (!process.stderr.isTTY) return null;
  const { SingleBar } = (await import('cli-progress')).default;
  const bar = new SingleBar({ stream: process.stderr, format: 'simulating [{bar}] {percentage}% | {duration_formatted}', hideCursor: true });
  const started = Date.now();
  let shown = false;
  return {
    update(fraction) {
      if (!shown && Date.now() - started < SHOW_AFTER_MS) return;
      if (!shown) bar.start(100, 0);
      shown = true;
      bar.update(Math.floor(fraction * 100));
    },
    stop() {
      if (shown) bar.stop();
    },
  };
}
