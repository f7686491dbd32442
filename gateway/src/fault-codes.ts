/**
 * What can go wrong with the kiosk's own storage and clock, as stable codes the screens, telemetry
 * and the hub share. `journal-unwritable` and `disk-full` mean check-ins cannot be recorded right now
 * (the guard checks by hand); `clock-unsynced` means date-dependent admissions are REVIEW until NTP
 * syncs (gateway/src/time/clock-watch.ts); `disk-low` warns before the disk is full (record/keeper.ts);
 * `revocation-missing`: the installed DCC revocation list was refused at start (altered, or signed by a
 * key no longer trusted), so no certificate is checked against it until the hub sends one (telemetry and
 * the technician see it; the guard's screen does not change). `enrolment-revoked`: the hub revoked this
 * kiosk; it decides nothing more (no green, the guard checks by hand) until it restarts unenrolled — and
 * for good if kiosk.yaml could not be rewritten (commands/hooks.ts). `data-stale`: some data the kiosk
 * decides on (facts, rules, trust or revocation list) is older than the signed rules allow, so admissions
 * resting on it are REVIEW until a fresh signed update arrives (gateway/src/freshness/). `door-sensor`:
 * gpio.doorSensor is set but cannot be read (door-watch/), so admitted entries count whether or not anyone
 * went through (telemetry and the technician see it; the guard's door works as before). `pass-list-refused`:
 * the hub's pass list was refused (at start, or as sent: altered, unknown key, older, or a second list under
 * the installed version), so new cards are `pass-unlisted` and revocations since do not arrive until a list
 * is installed (telemetry shows the hub; the guard sees each card's reason). The others are alarms about
 * something that happened and was worked around.
 */
export const FAULT_CODES = [
  'journal-unwritable',
  'disk-full',
  'journal-corrupt',
  'journal-deleted',
  'cache-corrupt',
  'cache-unavailable',
  'prune-failed',
  'clock-unsynced',
  'disk-low',
  'revocation-missing',
  'enrolment-revoked',
  'data-stale',
  'door-sensor',
  'pass-list-refused',
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];

/** Faults under which no check-in can be recorded: the verdict screen shows the fault state. */
export const RECORD_BLOCKING: readonly FaultCode[] = ['journal-unwritable', 'disk-full', 'enrolment-revoked'];

/**
 * Faults the guard must act on: the verdict screen shows each full-screen while no verdict is up, and
 * raising one plays the FAULT pattern (issue #13). The others were worked around and only alarm the hub.
 */
export const GUARD_FAULTS: readonly FaultCode[] = [
  ...RECORD_BLOCKING,
  'clock-unsynced',
  'data-stale',
  'disk-low',
];

export interface FaultEvent {
  code: FaultCode;
  active: boolean;
  /** Every fault active after this change. */
  faults: FaultCode[];
}
