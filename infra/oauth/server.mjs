// A real OAuth 2.0 token endpoint on 127.0.0.1 for mailferry's tests (npm oauth2-mock-server, pinned in
// package.json): the jwt-bearer grant (Google domain-wide delegation) and the client-credentials grant (Microsoft
// app-only). It does not check what clients send; it records each token request's form in --log (one JSON line
// each) so tests check it themselves.
//
//   node infra/oauth/server.mjs [--key PRIVATE.pem] [--log FILE] [--expires-in SECONDS] [--fail ERROR[:STATUS]]
//                               [--token-path /TENANT/oauth2/v2.0/token]   (default /token)
//                               [--email ADDRESS]   (the tokens' email claim; default: their subject, if an address)
//
// The refresh_token grant takes tokens of the form rt.<mailbox>.<n> (the tokens are for that mailbox) and rotates
// them: each answer carries rt.<mailbox>.<n+1>, and a refresh token already redeemed is refused (invalid_grant),
// as providers that rotate strictly do.
//
// Prints one JSON line, {"port": P, "issuer": "http://127.0.0.1:P"}, once listening. --key signs the tokens with
// that RSA key (kid "default"); --fail answers every token request with that OAuth error (status 400 unless given).
import { OAuth2Server, Events } from 'oauth2-mock-server';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync, appendFileSync } from 'node:fs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const server = new OAuth2Server(undefined, undefined, { endpoints: { token: arg('--token-path') ?? '/token' } });
const keyFile = arg('--key');
if (keyFile) {
  const jwk = createPrivateKey(readFileSync(keyFile, 'utf8')).export({ format: 'jwk' });
  await server.issuer.keys.add({ ...jwk, alg: 'RS256', kid: 'default', use: 'sig' });
} else {
  await server.issuer.keys.generate('RS256');
}
const log = arg('--log');
const expiresIn = Number(arg('--expires-in') ?? 3600);
const fail = arg('--fail');
const email = arg('--email');
const redeemed = new Set();
const refreshed = (req) => req.body && req.body.grant_type === 'refresh_token' ? String(req.body.refresh_token) : null;

server.service.on(Events.BeforeTokenSigning, (token, req) => {
  const now = Math.floor(Date.now() / 1000);
  const rt = refreshed(req);
  if (rt) { token.payload.sub = rt.split('.').slice(1, -1).join('.'); }
  token.payload.exp = now + expiresIn;
  // Every token unique, as a provider's are (two grants in one second would otherwise sign the same claims).
  token.payload.jti = randomUUID();
  // The mailbox the token is for: the assertion's subject (jwt-bearer); IMAP servers match it to the login.
  // Servers want a subject in every token; a client-credentials token has none of its own.
  if (email) { token.payload.email = email; token.payload.sub ??= email; }
  else if (typeof token.payload.sub === 'string' && token.payload.sub.includes('@')) token.payload.email = token.payload.sub;
});
server.service.on(Events.BeforeResponse, (response, req) => {
  if (log) appendFileSync(log, JSON.stringify(req.body) + '\n');
  const rt = refreshed(req);
  if (rt && (redeemed.has(rt) || !rt.startsWith('rt.'))) {
    response.statusCode = 400;
    response.body = { error: 'invalid_grant', error_description: 'the refresh token was already used' };
    return;
  }
  if (rt) {
    redeemed.add(rt);
    const parts = rt.split('.');
    parts[parts.length - 1] = String(Number(parts[parts.length - 1]) + 1);
    response.body.refresh_token = parts.join('.');
  }
  if (fail) {
    const [error, status] = fail.split(':');
    response.statusCode = Number(status ?? 400);
    response.body = { error, error_description: `injected ${error}` };
  } else if (response.body && typeof response.body === 'object') {
    response.body.expires_in = expiresIn;
  }
});

await server.start(0, '127.0.0.1');
const port = server.address().port;
server.issuer.url = `http://127.0.0.1:${port}`;
console.log(JSON.stringify({ port, issuer: server.issuer.url }));
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
