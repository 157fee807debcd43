// `npm run smtp-catcher`: a local SMTP server that accepts every message and prints it, for trying
// notifications without a real mail server (exhunt serve --smtp smtp://127.0.0.1:2525).
// Messages are also written to ./exhunt-mail/<n>.eml. Development aid only: it accepts mail from
// anyone who can reach the port, so it listens on loopback.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const port = Number(process.env['SMTP_PORT'] ?? 2525);
const dir = path.resolve(process.env['SMTP_DIR'] ?? 'exhunt-mail');
mkdirSync(dir, { recursive: true });
let count = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  size: 50 * 1024 * 1024,
  onData(stream, session, done) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      const file = path.join(dir, `${String(++count).padStart(4, '0')}.eml`);
      writeFileSync(file, raw);
      const head = (raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ');
      const subject = /^Subject: (.*)$/im.exec(head)?.[1] ?? '';
      const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
      process.stdout.write(`message ${count} to ${to}: ${subject} (${raw.length} bytes) → ${file}\n`);
      done();
    });
  },
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`smtp-catcher: listening on smtp://127.0.0.1:${port}, writing messages to ${dir}\n`));
