export * from './alerts/index.js';
export { CheckinWriter } from './checkin-writer.js';
export { applyDynsec, DYNSEC_TOPIC, type DynsecCommand, kioskRole, kioskRoleCommands } from './dynsec.js';
export { KioskAccountConflict, KioskLogins } from './dynsec-accounts.js';
export * from './fleet-state.js';
export { Hub, type HubOptions } from './hub.js';
export { hubLogger, LOG_REDACT } from './hub-log.js';
export { HubIngest, type IngestOptions } from './ingest.js';
export { laneId, MAX_LANES } from './ingest-retire.js';
export { aclFile, type BindingCheck, KioskRegistry } from './kiosk-registry.js';
export { type AlertCounts, HubMetrics, type MetricsAccess } from './metrics/index.js';
export * from './notify/index.js';
export * from './publish.js';
export { ReceiptSender } from './receipts.js';
export { areasOf } from './report-model.js';
export { reportCsv, reportPage, scopeReport } from './report-view.js';
export { type KioskResponse, sendRequest } from './requests.js';
export { createServer, type LiveMessage, type ServerOptions } from './server.js';
export {
  AlertsSection,
  type AlertsSettings,
  NotifySection,
  type NotifySettings,
} from './settings/alerts-schema.js';
export { formatProblems, HubSettings, loadHubSettings } from './settings/index.js';
export { parseSitesCsv } from './sites-csv.js';
export * from './storage/index.js';
export { type DailyReport, HubStore, type ReportArea, type ReportSite, type TraceVisit } from './store.js';
export { traceCsv } from './tracing/csv.js';
export { vnDob } from './tracing/dob.js';
export { tracePrintPage } from './tracing/print.js';
export { F2_LIMITS, TRACE_SCHEMA, type TracePerson, type TraceResult } from './tracing/result.js';
export { RevealError, readTracingKeys } from './tracing/reveal.js';
export { RolloutEngine, Rollouts } from './updates/rollouts.js';
export {
  type CommandAsk,
  type CommandOutcome,
  KIOSK_COMMANDS,
  type KioskCommand,
  KioskCommands,
} from './use-cases/kiosk-commands.js';
export { applyRetention, DEFAULT_RETENTION_DAYS, type RetentionResult } from './use-cases/retention.js';
export { checkTrace, runTrace, type TraceAsk, type TraceBy, type TraceQuery } from './use-cases/trace.js';
export * from './use-cases/users.js';
export { UserError, type UserErrorCode } from './user-error.js';
export * from './users.js';
