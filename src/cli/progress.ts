// Progress for long work: a redrawn bar on a terminal, plain lines (every `every` steps) otherwise.
export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  done(message?: string): void;
}

export function progressBar(label: string, total: number, { stream = process.stderr as NodeJS.WriteStream, every = 10 } = {}): Progress {
  const tty = !!stream.isTTY;
  const start = performance.now();
  let lastLine = -1;
  const fmt = (fields: Record<string, string | number>) =>
    Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(3) : v.toFixed(3)) : v}`)
      .join('  ');
  return {
    update(done, fields = {}) {
      const secs = (performance.now() - start) / 1000;
      const rate = done / Math.max(secs, 1e-9);
      const tail = `${done}/${total}  ${rate.toFixed(2)} it/s  ${fmt(fields)}`;
      if (tty) {
        const width = 24;
        const filled = Math.round((width * done) / Math.max(total, 1));
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${tail}\u001b[K`);
      } else if (done === total || done - lastLine >= every || lastLine < 0) {
        stream.write(`${label} ${tail}\n`);
        lastLine = done;
      }
    },
    done(message) {
      if (tty) stream.write('\n');
      if (message) stream.write(`${message}\n`);
    },
  };
}
