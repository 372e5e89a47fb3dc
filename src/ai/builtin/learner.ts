/**
 * Per-user online learner: one averaged perceptron per axis (urgency, importance, category, spam)
 * over hashed features of the message (sender address and domain, list id, subject words) and of
 * the built-in verdict. Corrections are the source of truth; the model is a cache that is rebuilt by
 * replaying them in order (buildModel) and stored as JSON.
 *
 * The built-in verdict is the default: the model only changes an axis when its class beats the
 * built-in class by MIN_MARGIN, which one correction for a sender already reaches for that sender's
 * next message but a single shared feature (say, the built-in category) does not.
 */
import { CATEGORIES, type AnalysisInput, type AnalysisResult, type Category, type LearnedModel, type Level } from '../types.js';
import { domainOf, isFreemailDomain, normaliseAddress } from './senders.js';
import { clampLevel, colourOf, scoreOf } from './score.js';

export const AXES = ['urgency', 'importance', 'category', 'spam'] as const;
export type Axis = (typeof AXES)[number];

const CLASSES: Record<Axis, readonly string[]> = {
  urgency: ['1', '2', '3'],
  importance: ['1', '2', '3'],
  category: CATEGORIES,
  spam: ['no', 'yes'],
};

const DIMS = 1 << 14;
const MIN_MARGIN = 2;
/** Training aims past the prediction margin, so what was taught survives averaging. */
const TRAIN_MARGIN = 4;
const SET_CONFIDENCE = 0.6;

/** What the user said; any subset of the axes. */
export interface Correction {
  urgency?: Level;
  importance?: Level;
  category?: Category;
  spam?: boolean;
}

/** The verdict the learner sees as its default (the built-in result before the model). */
export type BuiltinVerdict = Pick<AnalysisResult, 'urgency' | 'importance' | 'category' | 'isSpam'>;

/** A hashed feature and its value. */
export type Feature = [index: number, value: number];

/** A correction as the learner stores it: hashed features only, no mail content. */
export interface TrainingExample {
  features: Feature[];
  builtin: BuiltinVerdict;
  correction: Correction;
}

interface AxisState {
  /** Examples seen; the averaging counter. */
  steps: number;
  /** Sparse weights and their step-weighted sums (for averaging), per hashed feature. */
  w: Record<string, number[]>;
  u: Record<string, number[]>;
}

export interface PerceptronModel extends LearnedModel {
  kind: 'perceptron-v1';
  dims: number;
  corrections: number;
  axes: Record<Axis, AxisState>;
}

export function createModel(): PerceptronModel {
  const axes = {} as Record<Axis, AxisState>;
  for (const a of AXES) axes[a] = { steps: 1, w: {}, u: {} };
  return { kind: 'perceptron-v1', dims: DIMS, corrections: 0, axes };
}

function hash(feature: string, dims: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < feature.length; i++) {
    h ^= feature.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % dims;
}

const STOP = new Set(['re', 'aw', 'wg', 'fw', 'fwd', 'tr', 'the', 'and', 'und', 'der', 'die', 'das', 'les', 'des', 'per', 'for', 'von', 'del', 'della', 'pour']);

/**
 * Hashed features of a message and the built-in verdict, weighted by how much they say about the
 * user's intent: who sent it (1), the subject's words (0.5), what the built-in analyser said (0.25,
 * so a habit such as "I always demote information" needs many corrections to become general).
 */
export function modelFeatures(input: Pick<AnalysisInput, 'from' | 'subject' | 'headers'>, builtin: BuiltinVerdict, dims = DIMS): Feature[] {
  const named: Array<[string, number]> = [];
  const address = normaliseAddress(input.from.address);
  const domain = domainOf(address);
  named.push([`from:${address}`, 1]);
  // A freemail domain says nothing about the sender.
  if (domain && !isFreemailDomain(domain)) named.push([`domain:${domain}`, 1]);
  const listId = input.headers.listId?.match(/<([^>]+)>/)?.[1] ?? input.headers.listId;
  if (listId) named.push([`list:${listId.trim().toLowerCase()}`, 1]);
  const words = input.subject.toLowerCase().match(/[\p{L}]{3,}/gu) ?? [];
  for (const w of words.slice(0, 10)) if (!STOP.has(w)) named.push([`subject:${w}`, 0.5]);
  for (const b of [`urgency:${builtin.urgency}`, `importance:${builtin.importance}`, `category:${builtin.category}`, `spam:${builtin.isSpam}`]) {
    named.push([`builtin-${b}`, 0.25]);
  }
  const out = new Map<number, number>();
  for (const [name, value] of named) out.set(hash(name, dims), value);
  return [...out];
}

export function trainingExample(input: Pick<AnalysisInput, 'from' | 'subject' | 'headers'>, builtin: BuiltinVerdict, correction: Correction): TrainingExample {
  return { features: modelFeatures(input, builtin), builtin: { ...builtin }, correction: { ...correction } };
}

function builtinClass(axis: Axis, b: BuiltinVerdict): string {
  if (axis === 'category') return b.category;
  if (axis === 'spam') return b.isSpam ? 'yes' : 'no';
  return String(b[axis]);
}

function labelOf(axis: Axis, c: Correction): string | undefined {
  if (axis === 'spam') return c.spam === undefined ? undefined : c.spam ? 'yes' : 'no';
  const v = c[axis];
  return v === undefined ? undefined : String(v);
}

function scores(state: AxisState, classes: number, features: readonly Feature[], averaged: boolean): number[] {
  const s = new Array<number>(classes).fill(0);
  for (const [f, x] of features) {
    const w = state.w[f];
    if (!w) continue;
    const u = state.u[f]!;
    for (let k = 0; k < classes; k++) s[k]! += x * (averaged ? w[k]! - u[k]! / state.steps : w[k]!);
  }
  return s;
}

interface Prediction {
  value: string;
  margin: number;
  confidence: number;
}

/** The model's class for an axis, or null when it does not beat the built-in class by MIN_MARGIN. */
function predict(model: PerceptronModel, axis: Axis, features: readonly Feature[], builtin: BuiltinVerdict, averaged: boolean): Prediction | null {
  const classes = CLASSES[axis];
  const s = scores(model.axes[axis], classes.length, features, averaged);
  const b = classes.indexOf(builtinClass(axis, builtin));
  let best = b;
  for (let k = 0; k < classes.length; k++) if (s[k]! > s[best]!) best = k;
  const margin = s[best]! - s[b]!;
  if (best === b || margin < MIN_MARGIN) return null;
  return { value: classes[best]!, margin, confidence: Math.min(0.95, Math.round((1 - Math.exp(-margin / 3)) * 100) / 100) };
}

/**
 * Learns one correction (mutates and returns the model). A margin perceptron: it updates until the
 * corrected class leads every other class by TRAIN_MARGIN, so a correction back to the built-in value
 * also wins back ground.
 */
export function learn(model: PerceptronModel, example: TrainingExample): PerceptronModel {
  model.corrections++;
  for (const axis of AXES) {
    const label = labelOf(axis, example.correction);
    if (label === undefined) continue;
    const state = model.axes[axis];
    const classes = CLASSES[axis];
    const y = classes.indexOf(label);
    const s = scores(state, classes.length, example.features, false);
    // The rival is the built-in class while the label does not lead it by the margin (that is what
    // decides what is shown), else the strongest other class.
    const b = classes.indexOf(builtinClass(axis, example.builtin));
    let rival = y === 0 ? 1 : 0;
    for (let k = 0; k < classes.length; k++) if (k !== y && s[k]! > s[rival]!) rival = k;
    if (b !== y && s[y]! - s[b]! < TRAIN_MARGIN) rival = b;
    if (s[y]! - s[rival]! < TRAIN_MARGIN) {
      for (const [f, x] of example.features) {
        const w = (state.w[f] ??= new Array<number>(classes.length).fill(0));
        const u = (state.u[f] ??= new Array<number>(classes.length).fill(0));
        w[y]! += x;
        u[y]! += state.steps * x;
        w[rival]! -= x;
        u[rival]! -= state.steps * x;
      }
    }
    state.steps++;
  }
  return model;
}

/** Rebuilds a model by replaying stored corrections in order. */
export function buildModel(examples: Iterable<TrainingExample>): PerceptronModel {
  const model = createModel();
  for (const e of examples) learn(model, e);
  return model;
}

export function serialiseModel(model: PerceptronModel): string {
  return JSON.stringify(model);
}

/** Parses a stored model; anything unexpected yields null, and the caller rebuilds from corrections. */
export function parseModel(json: string): PerceptronModel | null {
  try {
    const m = JSON.parse(json) as Partial<PerceptronModel>;
    if (m.kind !== 'perceptron-v1' || typeof m.dims !== 'number' || !m.axes) return null;
    for (const a of AXES) if (!m.axes[a] || typeof m.axes[a].steps !== 'number') return null;
    return m as PerceptronModel;
  } catch {
    return null;
  }
}

function isPerceptron(model: LearnedModel): model is PerceptronModel {
  return model.kind === 'perceptron-v1' && typeof (model as PerceptronModel).axes === 'object';
}

/**
 * Applies the learned model to a built-in result: an axis whose prediction is confident (≥ 0.6) is
 * set to it; a weaker one moves urgency or importance one step towards it. Each change adds a
 * `learned` reason.
 */
export function applyModel(result: AnalysisResult, input: Pick<AnalysisInput, 'from' | 'subject' | 'headers'>, model: LearnedModel): AnalysisResult {
  if (!isPerceptron(model) || model.corrections === 0) return result;
  const features = modelFeatures(input, result, model.dims);
  const out: AnalysisResult = { ...result, reasons: [...result.reasons] };
  let confidence = result.confidence;
  const learnedAxes = new Set<string>();
  for (const axis of ['urgency', 'importance'] as const) {
    const p = predict(model, axis, features, result, true);
    if (!p) continue;
    const target = Number(p.value);
    const value = p.confidence >= SET_CONFIDENCE ? target : out[axis] + Math.sign(target - out[axis]);
    out[axis] = clampLevel(value);
    learnedAxes.add(axis);
    out.reasons.push({ code: 'learned', params: { axis, value: out[axis] } });
    confidence = Math.max(confidence, p.confidence);
  }
  const spam = predict(model, 'spam', features, result, true);
  const category = predict(model, 'category', features, result, true);
  let nextCategory: Category = out.category;
  if (spam?.value === 'yes') nextCategory = 'spam';
  else if (category) nextCategory = category.value as Category;
  else if (spam?.value === 'no' && out.category === 'spam') nextCategory = 'information';
  if (spam) out.reasons.push({ code: 'learned', params: { axis: 'spam', value: spam.value === 'yes' ? 1 : 0 } });
  if (nextCategory !== out.category) {
    out.category = nextCategory;
    out.reasons.push({ code: 'learned', params: { axis: 'category', value: nextCategory } });
    confidence = Math.max(confidence, category?.confidence ?? spam?.confidence ?? 0);
  }
  out.isSpam = out.category === 'spam';
  out.isNewsletter = out.category === 'newsletter';
  // Newly spam or newsletter: such mail sits in the 1/1 cell unless the user taught otherwise.
  if ((out.isSpam || out.isNewsletter) && !result.isSpam && !result.isNewsletter) {
    if (!learnedAxes.has('urgency')) out.urgency = 1;
    if (!learnedAxes.has('importance')) out.importance = 1;
  }
  out.score = scoreOf(out.urgency, out.importance);
  out.colour = colourOf(out.score);
  out.confidence = confidence;
  return out;
}
