/**
 * The published DFDC-winner release as one named ensemble, with its model card (issue 12).
 * The card is attached only to a file whose name is one of the seven released names AND whose
 * weights are a B7 (the variant is inferred from the tensor shapes): a name alone never earns
 * a card, so an arbitrary or test checkpoint cannot pass for the published detector.
 */
import { RELEASE_ENSEMBLE, UNCARDED_LABEL as UNCARDED } from '../../../common/model-card.js';
import type { ModelCardInfo } from '../../../common/api.js';

export { RELEASE_ENSEMBLE };

/** The seven released checkpoints, seed/epoch, in the release's order. */
export const RELEASE_MEMBERS: readonly { seed: number; epoch: number }[] = [
  { seed: 111, epoch: 36 }, { seed: 555, epoch: 19 }, { seed: 777, epoch: 29 }, { seed: 777, epoch: 31 },
  { seed: 888, epoch: 37 }, { seed: 888, epoch: 40 }, { seed: 999, epoch: 23 },
];

export function releaseFileName(m: { seed: number; epoch: number }): string {
  return `final_${m.seed}_DeepFakeClassifier_tf_efficientnet_b7_ns_0_${m.epoch}`;
}

export const RELEASE_FILES: readonly string[] = RELEASE_MEMBERS.map(releaseFileName);

export const RELEASE_REPOSITORY = 'https://github.com/selimsef/dfdc_deepfake_challenge';
export const RELEASE_TAG = '0.0.1';

/** The release's model card, as the API carries it (common/api.ts): one type for both. */
export type ModelCard = ModelCardInfo;

// Label for every model without a card, wherever a model is named (CLI, UI, JSON, PDF).
export { UNCARDED_LABEL } from '../../../common/model-card.js';

/** The released file a name refers to (an optional .pth/.pt suffix allowed), or null. */
export function matchReleaseFile(fileName: string): { seed: number; epoch: number } | null {
  const base = fileName.replace(/\.(pth|pt)$/i, '');
  return RELEASE_MEMBERS.find((m) => releaseFileName(m) === base) ?? null;
}

/** The card for a file of that name with weights of that variant, or null (never for a non-B7). */
export function releaseCard(fileName: string, variant: string): ModelCard | null {
  const m = matchReleaseFile(fileName);
  if (!m || variant !== 'b7') return null;
  return {
    ensemble: RELEASE_ENSEMBLE,
    member: { fileName: releaseFileName(m), seed: m.seed, epoch: m.epoch },
    source: { repository: RELEASE_REPOSITORY, release: RELEASE_TAG, files: [...RELEASE_FILES] },
    licence: 'MIT (the repository\'s licence)',
    trainingData: 'DFDC (Deepfake Detection Challenge) training set, Facebook AI, 2019–2020',
    inputSize: 380,
    publishedAccuracy: 'DFDC private leaderboard log loss 0.42798 (1st of 2,114 teams), for the seven-model ensemble with its own 127-face cap (seedScore)',
    knownLimits: [
      'trained on mostly frontal faces; profiles, occlusion and small faces are less reliable',
      '2020-era manipulation methods (DFDC); newer generators were not in the training data',
      'sensitive to compression and re-encoding beyond what DFDC contained',
    ],
  };
}

/** Which released members are installed (by card) and which are missing. */
export function ensembleStatus(cards: readonly (ModelCard | null | undefined)[], name = RELEASE_ENSEMBLE): { present: string[]; missing: string[]; complete: boolean } {
  const have = new Set(cards.filter((c): c is ModelCard => !!c && c.ensemble === name).map((c) => c.member.fileName));
  const present = RELEASE_FILES.filter((f) => have.has(f));
  const missing = RELEASE_FILES.filter((f) => !have.has(f));
  return { present, missing, complete: missing.length === 0 };
}

/** The card of a recorded manifest (a case keeps the manifest as first used), or null. */
export function cardOf(manifest: unknown): ModelCard | null {
  const card = (manifest as { card?: unknown } | null)?.card;
  return typeof card === 'object' && card !== null && typeof (card as ModelCard).ensemble === 'string' ? (card as ModelCard) : null;
}

/** A model's name as shown anywhere: a model without a card always carries UNCARDED_LABEL. */
export function modelDisplayName(manifest: unknown, id: string): string {
  const name = (manifest as { name?: unknown } | null)?.name;
  const base = typeof name === 'string' && name.length > 0 ? name : id;
  return cardOf(manifest) ? base : `${base} (${UNCARDED})`;
}
