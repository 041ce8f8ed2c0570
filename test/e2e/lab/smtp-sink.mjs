// A tiny SMTP sink for the lab: accepts every mail on 127.0.0.1:PORT and writes each one,
// raw, to DIR/<n>.eml. Run inside the server namespace:  node smtp-sink.mjs PORT DIR
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const [port, dir] = process.argv.slice(2);
let n = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      n += 1;
      writeFileSync(join(dir, `${String(n).padStart(4, '0')}.eml`), Buffer.concat(chunks));
      callback();
    });
  },
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
