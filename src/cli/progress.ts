/** Runs shorter than this never show a bar. */
const SHOW_AFTER_MS = 2000;

export interface Progress {
  /** The fraction done, in [0, 1], and optionally what is being done now. */
  update: (fraction: number, status?: string) => void;
  stop: () => void;
}

/** A progress bar on stderr for long work, labelled; null when stderr is not a terminal (nothing is drawn there). */
export async function startProgress(label = 'simulating'): Promise<Progress | null> {
  if (!process.stderr.isTTY) return null;
  const { SingleBar } = (await import('cli-progress')).default;
  const bar = new SingleBar({ stream: process.stderr, format: `${label} [{bar}] {percentage}% | {duration_formatted} {status}`, hideCursor: true });
  const started = Date.now();
  let shown = false;
  return {
    update(fraction, status = '') {
      if (!shown && Date.now() - started < SHOW_AFTER_MS) return;
      if (!shown) bar.start(100, 0, { status });
      shown = true;
      bar.update(Math.floor(fraction * 100), { status });
    },
    stop() {
      if (shown) bar.stop();
    },
  };
}

export interface Activity {
  /** What is being done now. */
  update: (status: string) => void;
  stop: () => void;
}

/** A line on stderr saying what long work is doing now, for work whose fraction done is not known; null when stderr is not a terminal. */
export async function startActivity(label: string): Promise<Activity | null> {
  if (!process.stderr.isTTY) return null;
  const { SingleBar } = (await import('cli-progress')).default;
  const line = new SingleBar({ stream: process.stderr, format: `${label} | {duration_formatted} {status}`, hideCursor: true });
  line.start(1, 0, { status: '' });
  return {
    update: (status) => line.update(0, { status }),
    stop: () => line.stop(),
  };
}
