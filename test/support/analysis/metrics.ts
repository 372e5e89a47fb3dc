/** Accuracy and macro-F1 per axis for the analyser evaluation. */

export interface AxisScore {
  n: number;
  accuracy: number;
  /** Unweighted mean of per-class F1 over the classes present in the gold labels or the predictions. */
  macroF1: number;
  /** gold → predicted → count. */
  confusion: Record<string, Record<string, number>>;
}

export function scoreAxis(pairs: ReadonlyArray<readonly [gold: string, predicted: string]>): AxisScore {
  const confusion: Record<string, Record<string, number>> = {};
  const classes = new Set<string>();
  let correct = 0;
  for (const [g, p] of pairs) {
    classes.add(g);
    classes.add(p);
    (confusion[g] ??= {})[p] = (confusion[g]![p] ?? 0) + 1;
    if (g === p) correct++;
  }
  let f1Sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const [g, p] of pairs) {
      if (g === c && p === c) tp++;
      else if (p === c) fp++;
      else if (g === c) fn++;
    }
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    f1Sum += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return { n: pairs.length, accuracy: pairs.length ? correct / pairs.length : 0, macroF1: classes.size ? f1Sum / classes.size : 0, confusion };
}
