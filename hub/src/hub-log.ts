import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino censors in anything the hub logs: a tracing key sent for a reveal (POST /api/trace
 * `reveal.key`) must not reach a log even if a request body or an error carrying one is logged.
 */
export const LOG_REDACT = {
  paths: ['reveal.key', '*.reveal.key', '*.*.reveal.key', 'body.reveal.key', 'req.body.reveal.key'],
  censor: '[redacted]',
};

/** The hub's own logger (what `qrkiosk-hub run` logs through): JSON lines, LOG_REDACT censored. */
export function hubLogger(destination?: DestinationStream): Logger {
  const options = { base: { app: 'qrkiosk-hub' }, redact: LOG_REDACT };
  return destination ? pino(options, destination) : pino(options);
}
