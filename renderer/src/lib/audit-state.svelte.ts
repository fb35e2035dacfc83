/** The case's audit log with the verification of its hash chain. */
import type { AuditItem, AuditView, DeepscanClient } from '../../../common/api.js';
import { faceLabel, frameLabel } from '../../../common/format.js';
import type { ApiError } from '../../../common/result.js';
import { AsyncResource } from './resource.svelte.js';

export class AuditState {
  readonly #log = new AsyncResource<AuditView>();
  filter = $state('');

  get view(): AuditView | null {
    return this.#log.value;
  }
  /** The case the shown log belongs to. */
  get loadedFor(): string | null {
    return this.#log.key;
  }
  get loading(): boolean {
    return this.#log.loading;
  }
  get error(): ApiError | null {
    return this.#log.error;
  }

  readonly items = $derived.by(() => {
    const items = this.view?.items ?? [];
    const q = this.filter.trim().toLowerCase();
    const list = q
      ? items.filter((i) => i.action.toLowerCase().includes(q) || i.actor.toLowerCase().includes(q) || JSON.stringify(i.details ?? '').toLowerCase().includes(q)
        || subjectMatches(i, q))
      : items;
    return [...list].sort((a, b) => b.seq - a.seq);
  });

  readonly #api: DeepscanClient;
  constructor(api: DeepscanClient) {
    this.#api = api;
  }

  clear(): void {
    this.#log.clear();
  }

  async load(caseId: string): Promise<void> {
    await this.#log.load(caseId, (c) => this.#api.getAudit(c));
  }
}

/** Short, readable summary of an audit entry's details. */
export function detailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

/**
 * What an entry is about, in words: the act, the evidence's name and the face, named with
 * common/format.ts from the ids the entry stores (as the PDF's audit summary names it), so a
 * review reads "Marked fake · clip.mp4 · Person 3 · frame 4 of 32 (index 19) · face 2".
 */
export interface AuditSubject {
  what: string;
  evidence: string | null;
  face: string | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const decisionWord = (v: unknown): string => (typeof v === 'string' ? v : 'no decision');

/**
 * The face an entry's details name, or null. Entries from before issue 13 carry no track (and
 * no sample number): they fall back to what they have, as frameLabel does.
 */
export function auditFaceName(details: Record<string, unknown>): string | null {
  const frameIndex = num(details.frame) ?? num(details.frameIndex);
  const faceNo = num(details.face) ?? num(details.faceNo);
  if (frameIndex === null || faceNo === null) return null;
  const sampleNo = num(details.sampleNo);
  const sampledFrames = num(details.sampledFrames);
  if (!('track' in details)) return `${frameLabel(frameIndex, sampleNo, sampledFrames)} · face ${faceNo + 1}`;
  return faceLabel({ track: num(details.track), sampleNo, sampledFrames, frameIndex, faceNo });
}

/**
 * The subject of entries that concern one face (reviews, undos, model attention); null for the
 * others, which keep their plain details. `evidenceName` resolves an evidence id when the entry
 * stores no path.
 */
export function auditSubject(item: Pick<AuditItem, 'action' | 'details'>, evidenceName: (id: number) => string | undefined = () => undefined): AuditSubject | null {
  const d = item.details;
  if (d === null || typeof d !== 'object') return null;
  const details = d as Record<string, unknown>;
  let what: string;
  switch (item.action) {
    case 'review':
      what = typeof details.decision === 'string' ? `Marked ${details.decision}` : 'Note or category, no decision';
      break;
    case 'review-undone': {
      const from = (details.from ?? {}) as Record<string, unknown>;
      const to = (details.to ?? {}) as Record<string, unknown>;
      what = `Decision undone (${decisionWord(from.decision)} → ${decisionWord(to.decision)})`;
      break;
    }
    case 'attention-heatmap-computed':
      what = 'Model attention computed';
      break;
    default:
      return null;
  }
  const id = num(details.evidenceId);
  const evidence = typeof details.path === 'string' ? details.path : id !== null ? (evidenceName(id) ?? `evidence ${id}`) : null;
  return { what, evidence, face: auditFaceName(details) };
}

/** The subject as one line: "Marked fake · clip.mp4 · Person 3 · frame 4 of 32 (index 19) · face 2". */
export function subjectText(s: AuditSubject): string {
  return [s.what, s.evidence, s.face].filter((x): x is string => x !== null).join(' · ');
}

/** Whether the entry's subject (e.g. "Person 3 · frame 4 of 32") contains the lower-case query. */
function subjectMatches(item: AuditItem, q: string): boolean {
  const subject = auditSubject(item);
  return subject !== null && subjectText(subject).toLowerCase().includes(q);
}
