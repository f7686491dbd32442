import { CheckinMessage } from './checkin.js';
import { DoctorReport } from './doctor.js';
import { OccupancyMessage } from './occupancy.js';
import { OutcomeMessage } from './outcome.js';
import { PassIssuedMessage, PassRequestMessage } from './pass-request.js';
import { TallyMessage } from './tally.js';
import { TelemetryMessage } from './telemetry.js';

/** Every payload schema, by file name under protocol/schemas/ (kept in sync by a test). */
export const PAYLOAD_SCHEMAS = {
  'checkin.v1.schema.json': CheckinMessage,
  'doctor.v1.schema.json': DoctorReport,
  'occupancy.v1.schema.json': OccupancyMessage,
  'outcome.v1.schema.json': OutcomeMessage,
  'pass-issued.v1.schema.json': PassIssuedMessage,
  'pass-request.v1.schema.json': PassRequestMessage,
  'tally.v1.schema.json': TallyMessage,
  'telemetry.v1.schema.json': TelemetryMessage,
} as const;

/** A schema as JSON text, as written to protocol/schemas/ (TypeBox's symbol keys drop out). */
export function schemaJson(schema: object): string {
  return `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2)}\n`;
}
