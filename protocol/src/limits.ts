/**
 * Size limits for what kiosks publish. A check-in is about 700 bytes and stays under 2 KB with the
 * longest masked name (200 characters) and every optional field; telemetry is under 1 KB. The hub
 * refuses anything larger than this before it parses a byte of it: 20 messages of 12 MB once pushed
 * the hub's /healthz to 5.7 s, its memory to 789 MB, and a valid check-in behind them 18.5 s late.
 * 16 KiB leaves eight times the largest real message.
 */
export const MAX_KIOSK_MESSAGE_BYTES = 16 * 1024;

/** How much of a refused oversize payload the dead-letter table keeps (enough to see what it was). */
export const DEAD_LETTER_PREFIX_BYTES = 1024;

/**
 * The broker's `max_packet_size` (hardware/mosquitto/mosquitto.conf), for every client: kiosks'
 * messages are far below it; it bounds what anyone can make the broker buffer, and it is the
 * largest fleet update the hub can publish over MQTT (a snapshot of about 500,000 identities at
 * 33 bytes each). Bigger snapshots go to kiosks as files (`qrkiosk cache apply`).
 */
export const BROKER_MAX_PACKET_BYTES = 16 * 1024 * 1024;
