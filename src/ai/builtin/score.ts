import type { Colour, Level } from '../types.js';

/** Score = 2·urgency + importance (3–9): urgency weighs double because it decides what to do first. */
export function scoreOf(urgency: Level, importance: Level): number {
  return 2 * urgency + importance;
}

/** red ≥ 8 (3/2, 3/3), yellow 5–7, green ≤ 4 (1/1, 1/2). */
export function colourOf(score: number): Colour {
  if (score >= 8) return 'red';
  if (score >= 5) return 'yellow';
  return 'green';
}

export function clampLevel(n: number): Level {
  return (n <= 1 ? 1 : n >= 3 ? 3 : Math.round(n)) as Level;
}

/**
 * Urgency a deadline alone implies, by whole days left: overdue, today or tomorrow → 3,
 * within a week → 2, later → 1. Callers re-run this as time passes (deadline is in the result).
 */
export function urgencyForDeadline(daysLeft: number): Level {
  if (daysLeft <= 1) return 3;
  if (daysLeft <= 7) return 2;
  return 1;
}
