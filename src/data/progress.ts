import * as cliProgress from 'cli-progress';

/** 'auto': a bar when stderr is a terminal, else a line every 10% (CI logs stay short). */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

/** A progress reporter on stderr for one phase of an import or download. */
export function createProgress(label: string, total: number, mode: ProgressMode = 'auto'): Progress {
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { update() {}, stop() {} };
  if (resolved === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration}s`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        noTTYOutput: !process.stderr.isTTY,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update(done, t) {
        if (t !== undefined && t !== total) bar.setTotal((total = t));
        bar.update(done);
      },
      stop: () => bar.stop(),
    };
  }
  const start = Date.now();
  let lastDecile = -1;
  let lastTime = 0;
  return {
    update(done, t) {
      if (t !== undefined) total = t;
      const decile = total > 0 ? Math.floor((10 * done) / total) : 0;
      const now = Date.now();
      if (decile > lastDecile || now - lastTime > 30000) {
        lastDecile = decile;
        lastTime = now;
        const pct = total > 0 ? Math.round((100 * done) / total) : 0;
        process.stderr.write(
          `${label}: ${pct}% (${done}/${total}, ${((now - start) / 1000).toFixed(1)} s)\n`,
        );
      }
    },
    stop() {},
  };
}
