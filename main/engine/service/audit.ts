import type { AuditView } from '../../../common/api.js';
import { readAudit, verifyAuditChain } from '../store/audit.js';
import type { CaseStore } from '../store/case-store.js';

/** The case's audit log, oldest first, with the verification of its hash chain. */
export function auditView(store: CaseStore): AuditView {
  const v = verifyAuditChain(store.db);
  return {
    ok: v.ok, entries: v.entries, headHash: v.headHash, firstBadSeq: v.firstBadSeq, problem: v.problem,
    items: readAudit(store.db).map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details, hash: e.hash })),
  };
}
