// Scanner input benchmark (issue 5): for a 200- and a 600-character code, the time the wire needs
// to carry it (computed from the link: UART 10 bits a byte; USB HID one report per poll interval)
// against the time the kiosk needs to turn what arrives into a line (measured: parser/decoder only).
// Run: npm run bench -- input

import { cpus } from 'node:os';
import { ReadlineParser } from '@serialport/parser-readline';
import {
  createDccSigner,
  hidPosStream,
  keyboardWedgeReports,
  sampleVaccination,
} from '../firmware-sim/dist/index.js';
import { HidPosAssembler, KeyboardWedgeDecoder } from '../gateway/dist/input/index.js';

const signer = await createDccSigner({ alg: 'PS256' });
const hc1 = signer.issue({
  hcert: sampleVaccination(),
  issuedAt: new Date('2021-10-01'),
  expiresAt: new Date('2022-10-01'),
});
const base =
  '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh|20042021';
const codes = {
  '200-char CCCD (Vietnamese)': (base + '|'.repeat(200)).slice(0, 200),
  '600-char HC1 (DCC)': hc1.slice(0, 600),
};

function median(fn, runs = 2000) {
  for (let i = 0; i < 200; i++) fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e3);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/** @type {Array<[string, string, number, number]>} */
const rows = [];
for (const [name, code] of Object.entries(codes)) {
  const bytes = Buffer.from(`${code}\r`, 'utf8');
  for (const baud of [9600, 115200]) {
    const wireMs = (bytes.length * 10 * 1000) / baud;
    // USB-CDC and UART drivers hand the bytes over in small chunks: feed 32 at a time.
    const us = median(() => {
      let got = '';
      const p = new ReadlineParser({ delimiter: '\r', encoding: 'utf8' });
      p.on('data', (l) => {
        got = l;
      });
      for (let o = 0; o < bytes.length; o += 32) p.write(bytes.subarray(o, o + 32));
      if (got.length !== code.length) throw new Error('serial: wrong line');
    });
    rows.push([name, `UART ${baud} baud (${bytes.length} B)`, wireMs, us]);
  }
  for (const poll of [1, 8]) {
    const stream = keyboardWedgeReports(code, 'us', poll);
    const wireMs = stream.length * poll;
    const us = median(() => {
      const d = new KeyboardWedgeDecoder('us');
      let got = null;
      for (const r of stream) got = d.push(r.report) ?? got;
      if (got !== code) throw new Error('wedge: wrong line');
    }, 300);
    rows.push([name, `keyboard wedge, ${poll} ms poll (${stream.length} reports)`, wireMs, us]);
  }
  const pos = hidPosStream(Buffer.from(code, 'utf8'), 1);
  const us = median(() => {
    const a = new HidPosAssembler();
    let got = null;
    for (const r of pos) got = a.push(r.report) ?? got;
    if (got.bytes.toString('utf8') !== code) throw new Error('hid-pos: wrong code');
  });
  rows.push([name, `HID-POS, 1 ms poll (${pos.length} reports)`, pos.length * 1, us]);
}

console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}`);
console.log('| Code | Link | Wire time (ms) | Processing (µs, median) | Processing / wire |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const [name, link, wireMs, us] of rows) {
  console.log(
    `| ${name} | ${link} | ${wireMs.toFixed(1)} | ${us.toFixed(1)} | ${((us / 1000 / wireMs) * 100).toFixed(3)} % |`,
  );
}
