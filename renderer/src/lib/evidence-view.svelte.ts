/** Sorting, status filter and search over the evidence table (state only; the table renders). */
import type { EvidenceRow, EvidenceStatus } from '../../../common/api.js';

export type SortKey = 'name' | 'kind' | 'duration' | 'integrity' | 'status' | 'faces' | 'score' | 'reviewed';

export class EvidenceView {
  sortKey = $state<SortKey>('name');
  sortDir = $state<1 | -1>(1);
  status = $state<EvidenceStatus | 'all' | 'flagged'>('all');
  search = $state('');

  readonly #rows: () => EvidenceRow[];

  readonly rows: EvidenceRow[] = $derived.by(() => this.compute(this.#rows()));

  constructor(rows: () => EvidenceRow[]) {
    this.#rows = rows;
  }

  sortBy(k: SortKey): void {
    if (this.sortKey === k) this.sortDir = this.sortDir === 1 ? -1 : 1;
    else {
      this.sortKey = k;
      // Scores and counts read best highest first.
      this.sortDir = k === 'score' || k === 'faces' || k === 'reviewed' ? -1 : 1;
    }
  }

  ariaSort(k: SortKey): 'ascending' | 'descending' | 'none' {
    return this.sortKey === k ? (this.sortDir === 1 ? 'ascending' : 'descending') : 'none';
  }

  compute(rows: EvidenceRow[]): EvidenceRow[] {
    const q = this.search.trim().toLowerCase();
    const st = this.status;
    const list = rows.filter((r) => {
      if (st === 'flagged') {
        if (r.score === null || r.score < 0.5) return false;
      } else if (st !== 'all' && r.status !== st) return false;
      if (!q) return true;
      return r.path.toLowerCase().includes(q) || (r.sha256 ?? '').startsWith(q) || r.kind.includes(q);
    });
    const key = (r: EvidenceRow): number | string => {
      switch (this.sortKey) {
        case 'name':
          return r.path.toLowerCase();
        case 'kind':
          return r.kind;
        case 'duration':
          return r.durationSec ?? -1;
        case 'integrity':
          return r.integrity;
        case 'status':
          return r.status;
        case 'faces':
          return r.faces;
        case 'score':
          return r.score ?? -1;
        case 'reviewed':
          return r.faces > 0 ? r.reviewedFaces : -1;
      }
    };
    const dir = this.sortDir;
    return [...list].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : a.path.localeCompare(b.path);
      return c * dir;
    });
  }
}
