/**
 * The export's CSV (contract section 6): the header below, one row per local date, `null` as an empty
 * cell, numbers as JSON writes them (unrounded), every line ending with `\n`. No cell ever needs
 * quoting: dates and numbers only.
 */
import type { DailyOverview } from '../query/service.js';
import { OVERVIEW_METRICS } from '../query/service.js';

export const CSV_HEADER = ['date', ...OVERVIEW_METRICS].join(',');

const cell = (v: number | null): string => (v === null ? '' : String(v));

export function overviewCsv(days: readonly DailyOverview[]): string {
  const lines = [CSV_HEADER];
  for (const d of days) lines.push([d.date, ...OVERVIEW_METRICS.map((m) => cell(d.metrics[m]))].join(','));
  return `${lines.join('\n')}\n`;
}
