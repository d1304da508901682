// A Gmail-like IMAP server on 127.0.0.1 for mailferry's tests: npm hoodiecrow-imap (pinned in package.json) with
// X-GM-EXT-1 (X-GM-MSGID, X-GM-LABELS), SPECIAL-USE and the other extensions Gmail announces, serving the mailbox
// described by a JSON file (hoodiecrow's storage format: INBOX as a top-level key, the rest under "" with "/" as
// the separator, messages with raw, flags, internaldate, X-GM-MSGID and X-GM-LABELS). One user, any number of
// connections; nothing is written anywhere.
//
//   node infra/gmail/server.mjs --storage FILE [--user NAME --password SECRET]
//
// Prints one JSON line, {"port": P}, once listening.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const hoodiecrow = require('hoodiecrow-imap');
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const storage = JSON.parse(readFileSync(arg('--storage'), 'utf8'));
const users = {};
users[arg('--user') ?? 'testuser'] = { password: arg('--password') ?? 'testpass' };
const server = hoodiecrow({
  plugins: ['ID', 'SASL-IR', 'AUTH-PLAIN', 'NAMESPACE', 'IDLE', 'ENABLE', 'LITERALPLUS', 'UNSELECT', 'SPECIAL-USE',
            'X-GM-EXT-1'],
  id: { name: 'GImap', vendor: 'mailferry tests' },
  users,
  storage,
});
// Hoodiecrow's X-GM-EXT-1 plugin answers X-GM-MSGID and X-GM-LABELS but does not announce itself.
server.registerCapability('X-GM-EXT-1');
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
