/**
 * A benchmark's result: one line per figure, beside its goal (and the floor it is measured against),
 * with pass or FAIL; `npm run bench` prints them all as one table at the end.
 */
export interface Figure {
  /** What was measured, e.g. "no-op updates/s, 40 chats, 1 core". */
  name: string;
  /** embedded, postgres, or '' when the figure is about no store. */
  store: string;
  /** The measured value as shown, e.g. "1,426/s = 0.41× floor". */
  value: string;
  /** The goal as shown, e.g. "≥ 0.7× floor"; '' for a figure reported beside another. */
  goal: string;
  /** The floor it was measured against in the same run, e.g. "RSA 3,412/s". */
  floor?: string;
  /** null: nothing to pass (reported for comparison). */
  pass: boolean | null;
}

export interface BenchReport {
  figures: Figure[];
  /** Anything else worth printing after the table (CPU profiles). */
  notes: string[];
}

export const rate = (perSecond: number) => `${Math.round(perSecond).toLocaleString('en-US')}/s`;
export const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function verdict(pass: boolean | null): string {
  return pass === null ? '' : pass ? 'pass' : 'FAIL';
}

export function formatFigure(f: Figure): string {
  return [f.name, f.store, f.value, f.goal, f.floor ?? '', verdict(f.pass)].join(' | ');
}

/** The figures as an aligned plain-text table. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['figure', 'store', 'value', 'goal', 'floor (same run)', 'result'];
  const rows = figures.map((f) => [f.name, f.store, f.value, f.goal, f.floor ?? '', verdict(f.pass)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Prints each figure as soon as it is known (long runs show progress), and keeps them for the table. */
export function figureSink(out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): { add(figure: Figure): void; figures: Figure[] } {
  const figures: Figure[] = [];
  return {
    figures,
    add(figure) {
      figures.push(figure);
      out(formatFigure(figure));
    },
  };
}
