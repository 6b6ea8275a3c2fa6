export {
  TumblingWindows,
  DEFAULT_WINDOW_MS,
  DEFAULT_ALLOWED_LATENESS_MS,
  type PartialRow,
  type RecordOutcome,
  type TumblingWindowsOptions,
  type WindowStats,
} from './tumbling.js';
