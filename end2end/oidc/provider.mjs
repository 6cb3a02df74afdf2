// A real OpenID provider for the single sign-on browser tests (sso.spec.ts): the npm package
// oidc-provider, on 127.0.0.1 only, with its development sign-in pages (any login name and any
// password; the login name is the account, and an address as login name is its verified e-mail).
// Playwright starts it next to Rampart (playwright.config.ts).
//
// Environment:
//   RAMPART_E2E_OIDC_URL   where it listens (default http://127.0.0.1:3112); also its issuer.
//   RAMPART_E2E_URL        Rampart under test (default http://127.0.0.1:3111): the client's
//                          redirect address is its /auth/sso/callback.
import Provider from "oidc-provider";

const issuer = (process.env.RAMPART_E2E_OIDC_URL ?? "http://127.0.0.1:3112").replace(/\/+$/, "");
const rampart = (process.env.RAMPART_E2E_URL ?? "http://127.0.0.1:3111").replace(/\/+$/, "");
const { hostname, port } = new URL(issuer);
if (hostname !== "127.0.0.1") throw new Error(`the test provider listens on 127.0.0.1 only, not ${hostname}`);

export const CLIENT_ID = "rampart-e2e";
export const CLIENT_SECRET = "rampart-e2e-client-secret";

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${rampart}/auth/sso/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Providers like Entra ID, Google, Okta and Keycloak put the requested claims in the ID token;
  // oidc-provider only does when told to.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        const email = id.includes("@") ? id : undefined;
        return { sub: id, email, email_verified: email ? true : undefined, name: `Provider user ${id.split("@")[0]}` };
      },
    };
  },
  // Fixed keys are not needed: a fresh signing key per run is published at the JWKS address.
  cookies: { keys: ["rampart e2e provider cookie key"] },
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`test OpenID provider at ${issuer}, for ${rampart}`);
});
