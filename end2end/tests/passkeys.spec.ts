/*
 * Passkeys in the real browser, with Chromium's virtual authenticator (the DevTools protocol's
 * WebAuthn domain): adding one, signing in with it without a password and after the password,
 * confirming with it, removing it; an answer made for a look-alike site, and a copied
 * authenticator whose signature counter went back, are refused.
 *
 * Browsers allow passkeys only for a host name, so these tests use http://localhost at the test
 * server's port (the server, listening on 127.0.0.1, is the relying party "localhost").
 */
import { expect, test, type CDPSession, type Page } from "@playwright/test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createUser, field, javaScriptEnabled, waitForHydration, type User } from "./support";

const base = new URL(process.env.RAMPART_E2E_URL ?? "http://127.0.0.1:3111");
const site = `http://localhost:${base.port}`;

/** The virtual authenticators a test added: removed after it (the browser outlives the test). */
const added: { cdp: CDPSession; id: string }[] = [];

test.afterEach(async () => {
  for (const { cdp, id } of added.splice(0)) {
    await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId: id }).catch(() => {});
  }
});

/** A security key that keeps passkeys and verifies its user (always yes). */
async function authenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "usb",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  added.push({ cdp, id: authenticatorId });
  return { cdp, id: authenticatorId };
}

async function go(page: Page, path: string): Promise<void> {
  await page.goto(`${site}${path}`);
  await waitForHydration(page);
}

async function signInWithPassword(page: Page, user: User): Promise<void> {
  await go(page, "/login");
  await field(page, "Email").fill(user.email);
  await field(page, "Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
  await waitForHydration(page);
}

async function signOut(page: Page, user: User): Promise<void> {
  await page.getByText(user.name, { exact: true }).filter({ visible: true }).first().click();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL((url) => url.pathname === "/login");
  await waitForHydration(page);
}

/** Adds a passkey named `name` on /account (the session is fresh: no confirmation asked). */
async function addPasskey(page: Page, name: string): Promise<void> {
  await go(page, "/account");
  await field(page, "Name of the passkey").fill(name);
  await page.getByRole("button", { name: "Add a passkey", exact: true }).click();
  await expect(page.getByRole("table", { name: "Your passkeys" }).getByRole("cell", { name, exact: true })).toBeVisible();
  await waitForHydration(page);
}

test.describe("passkeys", () => {
  test("without JavaScript, the pages say that passkeys need it", async ({ page }) => {
    test.skip(javaScriptEnabled(), "the message for browsers without JavaScript");
    const user = createUser({ role: "manager" });
    await go(page, "/login");
    await expect(page.getByText("Passkeys need JavaScript", { exact: false })).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign in with a passkey" })).toHaveCount(0);
    await signInWithPassword(page, user);
    await go(page, "/account");
    await expect(page.getByRole("heading", { name: "Passkeys" })).toBeVisible();
    await expect(page.getByText("No passkeys yet.")).toBeVisible();
    await expect(page.getByText("Passkeys need JavaScript", { exact: false })).toBeVisible();
  });

  test("a user adds a passkey, signs in with it with and without a password, confirms with it and removes it", async ({
    page,
  }) => {
    test.skip(!javaScriptEnabled(), "passkeys need JavaScript");
    const user = createUser({ role: "manager" });
    await authenticator(page);
    await signInWithPassword(page, user);
    await addPasskey(page, "Test laptop");
    // A first passkey of a user without recovery codes comes with them, shown once.
    await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
    await expect(page.getByText(/after your password, signing in asks for one of your passkeys/)).toBeVisible();

    // Without a password: the authenticator names the user.
    await signOut(page, user);
    await page.getByRole("button", { name: "Sign in with a passkey", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await waitForHydration(page);
    await expect(page.getByText(user.name, { exact: true }).filter({ visible: true }).first()).toBeVisible();

    // After the password, the passkey is the second step (no app: recovery codes or the passkey).
    await signOut(page, user);
    await field(page, "Email").fill(user.email);
    await field(page, "Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/login/code");
    await waitForHydration(page);
    await expect(page.getByText("Use your passkey, or enter one of your recovery codes.")).toBeVisible();
    await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await waitForHydration(page);

    // Confirming with it before a sensitive action, then back where one was.
    await go(page, "/account/confirm?next=/account");
    await page.getByRole("button", { name: "Confirm with a passkey", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/account");
    await waitForHydration(page);

    // Removing it (confirmed just now).
    await page.getByRole("button", { name: "Remove Test laptop", exact: true }).click();
    await expect(page.getByText("No passkeys yet.")).toBeVisible();
  });

  test("an answer made for a look-alike site is refused, though the challenge is real", async ({ page }) => {
    test.skip(!javaScriptEnabled(), "passkeys need JavaScript");
    const user = createUser({ role: "technician" });
    await authenticator(page);
    await signInWithPassword(page, user);
    await addPasskey(page, "Work laptop");
    await signOut(page, user);

    // A phishing site at another address relays Rampart's real challenge to the browser and
    // Rampart the answer. It is served at another port of the same host (the browser lets any
    // origin of "localhost" ask for its keys, as it would a sibling of a domain): only the origin
    // the browser writes into the signed answer tells it apart.
    const phishing = createServer((_, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.end("<!doctype html><title>Sign in</title><p>Rampart sign-in</p>");
    });
    await new Promise<void>((resolve) => phishing.listen(0, "127.0.0.1", resolve));
    try {
      const port = (phishing.address() as AddressInfo).port;
      const begun = await page.request.post(`${site}/api/auth/passkey_begin`, { form: { ceremony: "SignIn" } });
      expect(begun.status()).toBe(200);
      const options: string = await begun.json();
      await page.goto(`http://localhost:${port}/`);
      const answer = await page.evaluate(async (json) => {
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(json).publicKey);
        const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
        return JSON.stringify(credential.toJSON());
      }, options);
      const finished = await page.request.post(`${site}/api/auth/passkey_finish`, {
        form: { ceremony: "SignIn", credential: answer },
      });
      expect(finished.status()).toBe(422);
      expect(await finished.text()).toContain("This passkey was refused.");
      const me = await page.request.post(`${site}/api/auth/me`);
      expect(await me.json()).toBeNull();
    } finally {
      phishing.close();
    }
  });

  test("a copied authenticator, whose signature counter went back, is refused", async ({ page, browser }, testInfo) => {
    test.skip(!javaScriptEnabled(), "passkeys need JavaScript");
    const user = createUser({ role: "manager" });
    const original = await authenticator(page);
    await signInWithPassword(page, user);
    await addPasskey(page, "Security key");
    await signOut(page, user);
    // Used once more: the stored counter moves on.
    await page.getByRole("button", { name: "Sign in with a passkey", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");

    // Its key, copied into another browser's authenticator with the counter it had at first.
    const { credentials } = await original.cdp.send("WebAuthn.getCredentials", { authenticatorId: original.id });
    expect(credentials).toHaveLength(1);
    const other = await browser.newContext(testInfo.project.use);
    const otherPage = await other.newPage();
    const copy = await authenticator(otherPage);
    await copy.cdp.send("WebAuthn.addCredential", {
      authenticatorId: copy.id,
      credential: { ...credentials[0], signCount: 0 },
    });
    await go(otherPage, "/login");
    await otherPage.getByRole("button", { name: "Sign in with a passkey", exact: true }).click();
    await expect(otherPage.getByRole("alert")).toContainText("it may have been copied");
    await expect(otherPage).toHaveURL((url) => url.pathname === "/login");
    await other.close();
  });
});
