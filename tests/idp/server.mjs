// A real OpenID Connect provider (the npm package oidc-provider, OpenID Certified) for the
// portal's single sign-on tests and for `make run`: code flow with PKCE required,
// back-channel logout and RP-initiated logout, demo staff of the Stadt Musterstadt, the
// Kommunal-IT and the Land coordination office with group claims and amr.
//
// Configuration from the environment:
//   IDP_PORT            port (default 8790); the issuer is http://127.0.0.1:<port>
//   PORTAL_BASE_URLS    the portal's addresses, comma-separated (redirect and logout URIs)
//   IDP_CLIENT_ID, IDP_CLIENT_SECRET   the portal's client (defaults: the demo's)
//   IDP_TEST_CONTROL=1  enables POST /test/accounts, with which the tests change an
//                       account's groups, amr or password between two sign-ins
//
// Not for production: keys and sessions live in memory and change with every start.
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT || 8790);
const issuer = `http://127.0.0.1:${port}`;
const portals = (process.env.PORTAL_BASE_URLS || 'http://127.0.0.1:8000,http://localhost:8000')
  .split(',').map((url) => url.trim().replace(/\/$/, '')).filter(Boolean);
const clientId = process.env.IDP_CLIENT_ID || 'anbindungsportal';
const clientSecret = process.env.IDP_CLIENT_SECRET || 'demo-dienstkonto-geheimnis-2026';
const testControl = process.env.IDP_TEST_CONTROL === '1';
export const PASSWORD = 'Dienstkonto-Demo-2026';

// The demo staff: one Land IdP serves the city, its IT provider and the coordination office.
const accounts = new Map(Object.entries({
  'mira.muster@musterstadt.example': {
    name: 'Mira Muster', groups: ['musterstadt-admins'], amr: ['pwd', 'otp'],
  },
  'tom.team@musterstadt.example': {
    name: 'Tom Team', groups: ['musterstadt-staff'], amr: ['pwd'],
  },
  'ines.informatik@kommunal-it.example': {
    name: 'Ines Informatik', groups: ['kommunal-it-staff'], amr: ['pwd'],
  },
  'lutz.land@land-hessen.example': {
    name: 'Lutz Land', groups: ['land-koordinierung'], amr: ['pwd', 'hwk'],
  },
}).map(([login, account]) => [login, { password: PASSWORD, ...account }]));

function findAccount(ctx, sub) {
  const account = accounts.get(sub);
  if (!account) return undefined;
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        email: sub,
        email_verified: true,
        name: account.name,
        groups: account.groups,
      };
    },
  };
}

const clientBase = {
  client_id: clientId,
  client_secret: clientSecret,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: portals.map((url) => `${url}/anmelden/dienstkonto/rueckkehr/`),
  post_logout_redirect_uris: portals.map((url) => `${url}/anmelden/`),
  backchannel_logout_uri: `${portals[0]}/anmelden/dienstkonto/backchannel-logout/`,
  backchannel_logout_session_required: true,
};

const provider = new Provider(issuer, {
  clients: [clientBase],
  findAccount: (ctx, sub) => findAccount(ctx, sub),
  claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  // PKCE for every client, confidential ones included (S256 is the only method offered).
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Abmelden – Demo-Identitätsanbieter</title></head><body><main>
<h1>Möchten Sie sich beim Identitätsanbieter abmelden?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Ja, abmelden</button>
<button type="submit" form="op.logoutForm">Nein, angemeldet bleiben</button>
</main></body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = `<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Abgemeldet – Demo-Identitätsanbieter</title></head><body><main>
<h1>Sie sind beim Identitätsanbieter abgemeldet.</h1></main></body></html>`;
      },
    },
  },
  // Staff of an authority consent through their employer: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
    await grant.save();
    return grant;
  },
  // The portal runs on this machine (127.0.0.1): the back-channel logout calls go to a
  // loopback address, which oidc-provider's SSRF guard refuses; this local provider drops
  // the guard (a production IdP calls the portal's public address).
  fetch(url, options) {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  cookies: { keys: ['demo-idp-cookie-key-not-secret'] },
  ttl: { Session: 8 * 3600, Interaction: 600, Grant: 8 * 3600 },
});
provider.proxy = false;
provider.on('backchannel.error', (ctx, error, client) => {
  console.error(`back-channel logout to ${client.backchannelLogoutUri} failed: ${error.message} ${error.cause?.message || ""}`);
});
provider.on('server_error', (ctx, error) => console.error(error));

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error = '', login = '') {
  return `<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Anmeldung – Demo-Identitätsanbieter</title></head><body>
<main><h1>Demo-Identitätsanbieter des Landes</h1>
<p>Melden Sie sich mit Ihrem Dienstkonto an.</p>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Benutzername <input name="login" autocomplete="username" value="${escape(login)}"></label>
<label>Kennwort <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Beim Identitätsanbieter anmelden</button>
</form></main></body></html>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'Unbekannte Anmeldung');
  if (req.method === 'GET') return send(res, 200, loginPage(uid));
  if (req.method === 'POST' && action === 'login') {
    const form = new URLSearchParams(await readBody(req));
    const login = (form.get('login') || '').trim().toLowerCase();
    const account = accounts.get(login);
    if (!account || account.password !== form.get('password')) {
      return send(res, 200, loginPage(uid, 'Benutzername oder Kennwort ist falsch.', login));
    }
    const result = { login: { accountId: login, amr: account.amr, remember: true } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  return send(res, 405, 'Nicht erlaubt');
}

async function control(req, res) {
  const change = JSON.parse(await readBody(req) || '{}');
  const account = accounts.get(change.login) || { password: PASSWORD, name: change.login, groups: [], amr: ['pwd'] };
  for (const key of ['name', 'groups', 'amr', 'password']) {
    if (key in change) account[key] = change[key];
  }
  accounts.set(change.login, account);
  send(res, 200, JSON.stringify({ ok: true }), 'application/json');
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (testControl && req.method === 'POST' && url.pathname === '/test/accounts') {
      return await control(req, res);
    }
    return callback(req, res);
  } catch (error) {
    console.error(error);
    return send(res, 500, 'Fehler im Demo-Identitätsanbieter');
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`Demo identity provider (oidc-provider) on ${issuer}, for ${portals.join(', ')}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
