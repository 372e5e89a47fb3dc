/**
 * The built-in analyser (no network, no model download). Entry points:
 * - analyseMessage(input, signals, { now? }) → AnalysisResult
 * - renderReason(reason, 'de' | 'en') → text for the reader
 * - learner: createModel / learn / buildModel / trainingExample / applyModel / serialiseModel / parseModel
 * - scoreOf / colourOf / urgencyForDeadline for callers that re-rate stored results
 */
export { analyseMessage, type AnalyseOptions } from './analyser.js';
export { renderReason, formatDate, REASON_TEMPLATES, type ReaderLanguage } from './reasons.js';
export {
  applyModel, buildModel, createModel, learn, modelFeatures, parseModel, serialiseModel, trainingExample, AXES,
  type Axis, type BuiltinVerdict, type Correction, type PerceptronModel, type TrainingExample,
} from './learner.js';
export { clampLevel, colourOf, scoreOf, urgencyForDeadline } from './score.js';
export { matchesSenderPattern } from './senders.js';
export { detectLanguage } from './language.js';
export { dayOfIso, isoDate, localDay } from './dates.js';
