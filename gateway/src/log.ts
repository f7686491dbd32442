import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs for production (journald keeps them). Identity data is never passed to the logger:
 * stages log masked values only. The redact list is a second line of defence for field names
 * that must never leave the process.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'qrkiosk' },
      redact: {
        paths: [
          '*.documentNumber',
          '*.formerNumber',
          '*.name',
          '*.address',
          '*.password',
          'identity',
          'payload',
        ],
        censor: '[masked]',
      },
    },
    destination,
  );
}
