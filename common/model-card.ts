/**
 * How a model without the release's model card is labelled everywhere it is named (CLI, UI,
 * JSON, PDF; issue 12): only the DFDC winner's released B7s carry a card, so any other model,
 * such as the B0 test fixture, must not pass for a trained detector.
 */
export const UNCARDED_LABEL = 'test model — not trained, scores meaningless';

/** The one named ensemble: the DFDC winner's seven released B7 checkpoints. */
export const RELEASE_ENSEMBLE = 'dfdc-2020-winner';
