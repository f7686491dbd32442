/**
 * One audit log row. Apart from repository.ts so that a feature's records (enrolments.ts) can name it
 * without importing the repository that names them (an import cycle).
 */
export interface AuditRow {
  at: string;
  actor: string;
  action: string;
  detail: string;
}
