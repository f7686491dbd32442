#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Hub } from './hub.js';

const { values } = parseArgs({
  options: {
    mqtt: { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_URL ?? 'mqtt://127.0.0.1:1883' },
    'data-dir': { type: 'string', default: process.env.QRKIOSK_HUB_DATA_DIR ?? '/var/lib/qrkiosk-hub' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: process.env.QRKIOSK_HUB_PORT ?? '8090' },
    'mqtt-v4': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'qrkiosk-hub [--mqtt URL] [--data-dir DIR] [--host H] [--port N] [--mqtt-v4]\n' +
      '  Nhận check-in từ các kiosk qua MQTT và hiển thị trực tiếp / ingest check-ins and show them live.\n',
  );
  process.exit(0);
}
const hub = new Hub({
  mqtt: { url: values.mqtt, protocolVersion: values['mqtt-v4'] ? 4 : 5 },
  dataDir: values['data-dir'],
  http: { host: values.host, port: Number(values.port) },
});
await hub.start();
const stop = async () => {
  await hub.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
