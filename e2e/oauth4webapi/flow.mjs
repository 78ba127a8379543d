// Runs the oauth4webapi client library against a live Consentry server: RFC
// 8414 discovery, then for a confidential and a public client an
// authorization-code flow with PKCE, a refresh, RFC 7662 introspection and
// RFC 7009 revocation. The browser's part (sign-in and consent) is done with
// fetch, posting the HTML forms and carrying the session cookie by hand.
//
// Settings come from the environment:
//   FLOW_ISSUER               issuer URL of the server (required, no default)
//   FLOW_CONFIDENTIAL_ID      confidential client id (default demo-recipient)
//   FLOW_CONFIDENTIAL_SECRET  its secret (default demo-secret)
//   FLOW_PUBLIC_ID            public client id (required)
//   FLOW_REDIRECT_URI         redirect URI of both clients
//                             (default http://127.0.0.1:8081/callback)
//   FLOW_PROVIDER_ID          provider_id (default 1000)
//   FLOW_USERNAME, FLOW_PASSWORD  sandbox user (default demo / demo)
//   FLOW_SCOPE                scope to request (default ACCOUNT_BASIC TRANSACTIONS)
//   FLOW_AUDIENCE             aud of access tokens (default the issuer)
//
// It prints one line per step and exits 1 at the first failure, printing the
// library's error and what the server sent.
import * as oauth from 'oauth4webapi';

// Time limit of each HTTP request, in milliseconds.
const requestTimeout = 10_000;

// Current step name, printed with a failure.
let currentStep = 'settings';
let settings;

async function main() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) {
    throw new Error(`Node.js ${process.versions.node} is too old: oauth4webapi 3 needs 20 or later`);
  }
  const as = await discover();
  await runClient(as, {
    label: 'confidential',
    client: { client_id: settings.confidentialID },
    auth: oauth.ClientSecretBasic(settings.confidentialSecret),
  });
  await runClient(as, {
    label: 'public',
    client: { client_id: settings.publicID },
    auth: oauth.None(),
  });
  console.log('all steps passed');
}

function readSettings() {
  const env = process.env;
  const issuer = env.FLOW_ISSUER;
  if (!issuer) {
    throw new Error('FLOW_ISSUER is not set: set it to the issuer URL of a Consentry server');
  }
  if (!env.FLOW_PUBLIC_ID) {
    throw new Error('FLOW_PUBLIC_ID is not set: create a public client and set its client_id');
  }
  return {
    issuer,
    confidentialID: env.FLOW_CONFIDENTIAL_ID || 'demo-recipient',
    confidentialSecret: env.FLOW_CONFIDENTIAL_SECRET || 'demo-secret',
    publicID: env.FLOW_PUBLIC_ID,
    redirectURI: env.FLOW_REDIRECT_URI || 'http://127.0.0.1:8081/callback',
    providerID: env.FLOW_PROVIDER_ID || '1000',
    username: env.FLOW_USERNAME || 'demo',
    password: env.FLOW_PASSWORD || 'demo',
    scope: env.FLOW_SCOPE || 'ACCOUNT_BASIC TRANSACTIONS',
    audience: env.FLOW_AUDIENCE || issuer,
  };
}

// Returns the options of every library request. The issuer is plain http on
// a loopback address, which oauth4webapi rejects without allowInsecureRequests.
function requestOptions(extra = {}) {
  return {
    [oauth.allowInsecureRequests]: true,
    signal: AbortSignal.timeout(requestTimeout),
    ...extra,
  };
}

function begin(name) {
  currentStep = name;
}

function pass(detail) {
  console.log(`ok   ${currentStep}: ${detail}`);
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function checkEqual(got, want, field) {
  check(got === want, `${field}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

async function discover() {
  begin('discovery');
  const issuer = new URL(settings.issuer);
  const response = await oauth.discoveryRequest(issuer, requestOptions({ algorithm: 'oauth2' }));
  const as = await oauth.processDiscoveryResponse(issuer, response);
  for (const name of ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint',
    'revocation_endpoint', 'jwks_uri']) {
    check(typeof as[name] === 'string', `metadata has no ${name}`);
  }
  check(as.code_challenge_methods_supported?.includes('S256'),
    'metadata code_challenge_methods_supported does not list S256');
  // validateAuthResponse requires the RFC 9207 iss parameter only when the
  // metadata sets this flag, so without it the iss check would prove nothing.
  checkEqual(as.authorization_response_iss_parameter_supported, true,
    'metadata authorization_response_iss_parameter_supported');
  pass(`issuer ${as.issuer}`);
  return as;
}

// Runs the whole flow for one client and checks each response.
async function runClient(as, c) {
  const callback = await authorize(as, c);
  const tokens = await exchangeCode(as, c, callback);
  await validateAccessToken(as, c, tokens);
  const refreshed = await refresh(as, c, tokens);

  begin(`${c.label}: introspect access token`);
  const active = await introspect(as, c, refreshed.access_token);
  checkEqual(active.active, true, 'active');
  checkEqual(active.client_id, c.client.client_id, 'client_id');
  checkEqual(active.scope, settings.scope, 'scope');
  checkEqual(active.iss, as.issuer, 'iss');
  check(typeof active.sub === 'string' && active.sub !== '', 'introspection has no sub');
  pass(`active, client_id ${active.client_id}, scope ${active.scope}`);

  begin(`${c.label}: introspect new refresh token`);
  const live = await introspect(as, c, refreshed.refresh_token);
  checkEqual(live.active, true, 'active');
  checkEqual(live.client_id, c.client.client_id, 'client_id');
  pass('active');

  begin(`${c.label}: introspect used refresh token`);
  await checkInactive(as, c, tokens.refresh_token);
  pass('inactive');

  await revoke(as, c, refreshed);

  begin(`${c.label}: introspect after revocation`);
  await checkInactive(as, c, refreshed.access_token);
  await checkInactive(as, c, refreshed.refresh_token);
  pass('access and refresh token inactive');

  await refreshRevoked(as, c, refreshed.refresh_token);
}

// Opens the authorization URL, signs in, approves, and returns the
// authorization response parameters that validateAuthResponse accepted.
async function authorize(as, c) {
  begin(`${c.label}: authorization request`);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', c.client.client_id);
  url.searchParams.set('redirect_uri', settings.redirectURI);
  url.searchParams.set('scope', settings.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('provider_id', settings.providerID);

  const browser = new Browser();
  const signInPage = await browser.get(url);
  checkEqual(signInPage.status, 200, 'authorize status');
  const signInForm = parseForm(signInPage.body, '/api/v1/authorize/signin', signInPage.url);
  check(browser.cookies.size > 0, 'authorize response set no session cookie');
  pass('sign-in page with session cookie');

  begin(`${c.label}: sign in`);
  signInForm.fields.set('username', settings.username);
  signInForm.fields.set('password', settings.password);
  const afterSignIn = await browser.post(signInForm.action, signInForm.fields);
  checkEqual(afterSignIn.status, 303, 'sign-in status');
  const consentURL = new URL(afterSignIn.headers.get('location'), afterSignIn.url);
  checkEqual(consentURL.origin, new URL(as.issuer).origin, 'sign-in redirect origin');
  pass(`303 to ${consentURL.pathname}`);

  begin(`${c.label}: consent`);
  const consentPage = await browser.get(consentURL);
  checkEqual(consentPage.status, 200, 'consent page status');
  const consentForm = parseForm(consentPage.body, '/api/v1/authorize/consent', consentPage.url);
  consentForm.fields.set('decision', 'approve');
  const approved = await browser.post(consentForm.action, consentForm.fields);
  checkEqual(approved.status, 302, 'consent status');
  const redirect = new URL(approved.headers.get('location'));
  checkEqual(redirect.origin + redirect.pathname, settings.redirectURI, 'redirect target');
  pass(`302 to ${settings.redirectURI}`);

  begin(`${c.label}: validateAuthResponse`);
  const params = oauth.validateAuthResponse(as, c.client, redirect, state);
  check(params.get('code'), 'authorization response has no code');
  checkEqual(redirect.searchParams.get('iss'), as.issuer, 'iss');
  pass('code, state and iss accepted');
  return { params, verifier };
}

async function exchangeCode(as, c, callback) {
  begin(`${c.label}: authorization code grant`);
  const response = await oauth.authorizationCodeGrantRequest(as, c.client, c.auth,
    callback.params, settings.redirectURI, callback.verifier, requestOptions());
  checkNoStore(response);
  const tokens = await oauth.processAuthorizationCodeResponse(as, c.client, response);
  checkTokenResponse(tokens);
  pass(`bearer token for ${tokens.expires_in} s, scope ${tokens.scope}, ` +
    `connection ${tokens.connection_id}`);
  return tokens;
}

// Checks the access token as a resource server would (RFC 9068): typ at+jwt,
// signature by a JWKS key, iss, aud, exp and the required claims.
async function validateAccessToken(as, c, tokens) {
  begin(`${c.label}: validateJwtAccessToken`);
  const request = new Request(new URL('/resource', as.issuer), {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  const claims = await oauth.validateJwtAccessToken(as, request, settings.audience,
    requestOptions());
  checkEqual(claims.client_id, c.client.client_id, 'access token client_id');
  checkEqual(claims.scope, settings.scope, 'access token scope');
  pass(`signed at+jwt, sub ${claims.sub}`);
}

async function refresh(as, c, tokens) {
  begin(`${c.label}: refresh token grant`);
  const response = await oauth.refreshTokenGrantRequest(as, c.client, c.auth,
    tokens.refresh_token, requestOptions());
  checkNoStore(response);
  const refreshed = await oauth.processRefreshTokenResponse(as, c.client, response);
  checkTokenResponse(refreshed);
  check(refreshed.refresh_token !== tokens.refresh_token, 'refresh token was not rotated');
  check(refreshed.access_token !== tokens.access_token, 'access token was not replaced');
  checkEqual(refreshed.connection_id, tokens.connection_id, 'connection_id');
  pass('new access and refresh token, same connection');
  return refreshed;
}

async function revoke(as, c, tokens) {
  // The confidential client revokes its refresh token without a hint, as
  // revocationRequest does by default, and the public client its access
  // token with the access_token hint. Either revokes the whole connection.
  let step = 'revoke refresh token without hint';
  let token = tokens.refresh_token;
  let options = requestOptions();
  if (c.label !== 'confidential') {
    step = 'revoke access token with hint';
    token = tokens.access_token;
    options = requestOptions({ additionalParameters: { token_type_hint: 'access_token' } });
  }
  begin(`${c.label}: ${step}`);
  const response = await oauth.revocationRequest(as, c.client, c.auth, token, options);
  await oauth.processRevocationResponse(response);
  pass('200');
}

// Checks that a revoked refresh token is rejected with invalid_grant.
async function refreshRevoked(as, c, refreshToken) {
  begin(`${c.label}: refresh with revoked token`);
  const response = await oauth.refreshTokenGrantRequest(as, c.client, c.auth, refreshToken,
    requestOptions());
  try {
    await oauth.processRefreshTokenResponse(as, c.client, response);
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      checkEqual(err.error, 'invalid_grant', 'error');
      pass(`${err.status} invalid_grant`);
      return;
    }
    throw err;
  }
  throw new Error('refresh with a revoked refresh token succeeded, want invalid_grant');
}

async function introspect(as, c, token) {
  const response = await oauth.introspectionRequest(as, c.client, c.auth, token,
    requestOptions());
  return oauth.processIntrospectionResponse(as, c.client, response);
}

// Checks that introspection reports token inactive and, so that nothing
// about the token leaks, returns no other member.
async function checkInactive(as, c, token) {
  const result = await introspect(as, c, token);
  checkEqual(result.active, false, 'active');
  checkEqual(JSON.stringify(Object.keys(result)), '["active"]', 'inactive response members');
}

function checkTokenResponse(tokens) {
  checkEqual(tokens.token_type, 'bearer', 'token_type');
  check(tokens.expires_in > 0, `expires_in: got ${tokens.expires_in}, want > 0`);
  check(typeof tokens.refresh_token === 'string', 'token response has no refresh_token');
  checkEqual(tokens.scope, settings.scope, 'scope');
  checkEqual(tokens.provider_id, settings.providerID, 'provider_id');
  check(typeof tokens.connection_id === 'string' && tokens.connection_id !== '',
    'token response has no connection_id');
}

// Checks the caching headers that RFC 6749 §5.1 requires on token responses.
function checkNoStore(response) {
  checkEqual(response.headers.get('cache-control'), 'no-store', 'Cache-Control');
}

// Browser is the user agent's side of the flow: fetch without following
// redirects, with the cookies set by the server sent back by hand.
class Browser {
  cookies = new Map();

  async get(url) {
    return this.send(url, { method: 'GET' });
  }

  async post(url, fields) {
    return this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  async send(url, init) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, {
      ...init,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(requestTimeout),
    });
    this.storeCookies(response);
    return {
      url: new URL(url),
      status: response.status,
      headers: response.headers,
      body: await response.text(),
    };
  }

  storeCookies(response) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0];
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /;\s*max-age\s*=\s*(0|-\d+)\s*(;|$)/i.test(line);
      if (value === '' || expired) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }
}

// Returns the form of an HTML page whose action is path, with the values of
// its hidden inputs. A regular expression is enough for the server's own
// pages, which are generated from fixed templates.
function parseForm(html, path, pageURL) {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = attribute(match[1], 'action');
    if (action === undefined || new URL(action, pageURL).pathname !== path) {
      continue;
    }
    checkEqual((attribute(match[1], 'method') ?? 'get').toLowerCase(), 'post', 'form method');
    const fields = new Map();
    for (const input of match[2].matchAll(/<input\b([^>]*)>/gi)) {
      if (attribute(input[1], 'type')?.toLowerCase() !== 'hidden') {
        continue;
      }
      fields.set(attribute(input[1], 'name'), attribute(input[1], 'value') ?? '');
    }
    for (const name of ['request', 'csrf_token']) {
      check(fields.get(name), `form ${path} has no hidden input ${name}`);
    }
    return { action: new URL(action, pageURL), fields };
  }
  throw new Error(`page ${pageURL} has no form with action ${path}:\n${html}`);
}

function attribute(attributes, name) {
  const pattern = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i');
  const match = pattern.exec(attributes);
  if (!match) {
    return undefined;
  }
  return decodeEntities(match[1] ?? match[2] ?? match[3]);
}

// Decodes the character references that an HTML template engine writes into
// attribute values.
function decodeEntities(text) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      return String.fromCodePoint(parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10));
    }
    return named[ref.toLowerCase()] ?? whole;
  });
}

// Formats an error with what the server sent: the OAuth error of a
// ResponseBodyError, or the cause that oauth4webapi attaches to its
// processing errors (often the response itself).
async function describeError(err) {
  if (!(err instanceof Error)) {
    return String(err);
  }
  const lines = [`${err.name}${err.code ? ` [${err.code}]` : ''}: ${err.message}`];
  if (err instanceof oauth.ResponseBodyError) {
    lines.push(`status ${err.status}, error ${err.error}, ` +
      `error_description ${JSON.stringify(err.error_description)}`);
  }
  const cause = err.cause;
  if (cause instanceof Response) {
    lines.push(`response: ${cause.status} ${cause.headers.get('content-type') ?? ''}`);
    if (!cause.bodyUsed) {
      lines.push(await cause.text().catch((e) => `(body unreadable: ${e.message})`));
    }
  } else if (cause instanceof URLSearchParams) {
    lines.push(`parameters: ${cause}`);
  } else if (cause !== undefined) {
    lines.push(`cause: ${JSON.stringify(cause, jsonReplacer)}`);
  }
  return lines.join('\n');
}

function jsonReplacer(key, value) {
  if (value instanceof URLSearchParams) {
    return value.toString();
  }
  if (value instanceof Headers) {
    return Object.fromEntries(value.entries());
  }
  if (value instanceof Response) {
    return `Response ${value.status}`;
  }
  return value;
}

// Runs last, because the classes above are not initialized until their
// declarations have run.
try {
  settings = readSettings();
  await main();
} catch (err) {
  console.error(`FAIL ${currentStep}`);
  console.error(await describeError(err));
  process.exit(1);
}
