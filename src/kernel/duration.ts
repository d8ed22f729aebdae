/** "2d 3h", "4h 10m", "7m" (rounded up); `whenDone` once the time has passed. */
export function formatRemaining(ms: number, whenDone = 'expired'): string {
  if (ms <= 0) return whenDone;
  const minutes = Math.ceil(ms / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}
