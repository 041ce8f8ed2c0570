// One POP3 or IMAP login attempt over its own TCP connection, run inside a lab namespace:
//   node mail-client.mjs ADDR pop3|imap login|sasl USER PASS
// Prints the server's answer to the login and exits 0 when the server answered at all.
import { connect } from 'node:net';

const [addr, proto, style, user, pass] = process.argv.slice(2);
const port = proto === 'imap' ? 143 : 110;
const sock = connect({ host: addr, port });
sock.setEncoding('latin1');
const timer = setTimeout(() => {
  console.error('timeout');
  process.exit(1);
}, 10_000);
let buf = '';
const waiters = [];
sock.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).replace(/\r$/, '');
    buf = buf.slice(nl + 1);
    const w = waiters[0];
    if (w && w.test(line)) {
      waiters.shift();
      w.resolve(line);
    }
  }
});
sock.on('error', (e) => {
  console.error(e.message);
  process.exit(1);
});
const next = (test = () => true) => new Promise((resolve) => waiters.push({ test, resolve }));
const send = (s) => sock.write(`${s}\r\n`);
const sasl = Buffer.from(`\0${user}\0${pass}`).toString('base64');

await next();
let answer;
if (proto === 'pop3') {
  if (style === 'sasl') {
    send(`AUTH PLAIN ${sasl}`);
    answer = await next();
  } else {
    send(`USER ${user}`);
    answer = await next();
    if (answer.startsWith('+OK')) {
      send(`PASS ${pass}`);
      answer = await next();
    }
  }
  send('QUIT');
  await next();
} else {
  const tagged = (t) => (l) => l.startsWith(`${t} `);
  send(style === 'sasl' ? `a1 AUTHENTICATE PLAIN ${sasl}` : `a1 LOGIN "${user}" "${pass}"`);
  answer = await next(tagged('a1'));
  send('a2 LOGOUT');
  await next(tagged('a2'));
}
clearTimeout(timer);
console.log(answer);
sock.end();
process.exit(0);
