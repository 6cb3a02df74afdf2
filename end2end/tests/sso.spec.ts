// Single sign-on through a real OpenID provider (the npm package oidc-provider, started by
// playwright.config.ts on loopback; see oidc/provider.mjs): an admin configures it on
// /settings/sso and tests the configuration, a user signs in with "Sign in with …", and a
// callback whose state was tampered with signs nobody in.
import { expect, test, type Browser, type Page, type TestInfo } from "@playwright/test";
import { createUser, expectPath, open, signIn, waitForHydration, type User } from "./support";

const ISSUER = process.env.RAMPART_E2E_OIDC_URL ?? "http://127.0.0.1:3112";
const PROVIDER = "E2E OpenID";

/** An admin sets up single sign-on through the test provider (every test does: the setting is
 * the server's, and the tests may run in any order). */
async function configureSso(page: Page): Promise<void> {
  const admin = createUser({ role: "admin" });
  await signIn(page, admin);
  await open(page, "/settings/sso");
  await expect(page.getByRole("heading", { level: 1, name: "Single sign-on" })).toBeVisible();
  await expect(page.getByText(/\/auth\/sso\/callback$/)).toBeVisible();
  await page.getByLabel(/Single sign-on is on/).check();
  await page.getByLabel("Provider name", { exact: true }).fill(PROVIDER);
  await page.getByLabel("Issuer", { exact: true }).fill(ISSUER);
  await page.getByLabel("Client id", { exact: true }).fill("rampart-e2e");
  await page.getByLabel("Client secret", { exact: true }).fill("rampart-e2e-client-secret");
  await page.getByLabel("Allowed e-mail domains", { exact: true }).fill("example.test");
  await page.getByRole("button", { name: "Save settings", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  // Saved (read again from the server); the secret is never shown back.
  await open(page, "/settings/sso");
  await expect(page.getByLabel("Issuer", { exact: true })).toHaveValue(ISSUER);
  await expect(page.getByLabel("Client secret", { exact: true })).toHaveValue("");
  await expect(page.getByText("A secret is stored; it is never shown.", { exact: false })).toBeVisible();
}

/** A fresh browser (no cookies of Rampart or the provider) on the sign-in page. */
async function freshBrowser(browser: Browser, testInfo: TestInfo): Promise<Page> {
  const context = await browser.newContext(testInfo.project.use);
  // The provider's development pages ask for a web font; nothing here leaves this machine.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  const page = await context.newPage();
  await open(page, "/login");
  return page;
}

/** At the provider's development sign-in page: any password; consent if asked. */
async function signInAtProvider(page: Page, user: User): Promise<void> {
  await page.getByRole("link", { name: `Sign in with ${PROVIDER}`, exact: true }).click();
  await expect(page).toHaveURL((url) => url.origin === new URL(ISSUER).origin);
  await page.getByPlaceholder("Enter any login").fill(user.email);
  await page.getByPlaceholder("and password").fill("anything at all");
  await page.getByRole("button", { name: "Sign-in" }).click();
  const consent = page.getByRole("button", { name: "Continue" });
  if (await consent.isVisible().catch(() => false)) await consent.click();
}

test.describe("single sign-on", () => {
  // Two sign-ins (the admin's and one through the provider) per test.
  test.describe.configure({ timeout: 90_000 });

  test("an admin tests the provider's configuration", async ({ page }) => {
    await configureSso(page);
    await page.getByLabel("Issuer to test", { exact: true }).fill(ISSUER);
    await page.getByRole("button", { name: "Test configuration", exact: true }).click();
    await waitForHydration(page);
    await expect(page.getByRole("status").filter({ hasText: "The provider answered." })).toContainText(`${ISSUER}/token`);
    // A wrong issuer gets a clear message.
    await page.getByLabel("Issuer to test", { exact: true }).fill(`${ISSUER}/no-such-tenant`);
    await page.getByRole("button", { name: "Test configuration", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "could not read the provider's discovery document" })).toBeVisible();
  });

  test("a user signs in through the provider and lands signed in", async ({ page, browser }, testInfo) => {
    await configureSso(page);
    const user = createUser({ role: "manager" });
    const other = await freshBrowser(browser, testInfo);
    await signInAtProvider(other, user);
    await expectPath(other, "/");
    await expect(other.getByText(user.name, { exact: true }).filter({ visible: true }).first()).toBeVisible();
    await open(other, "/clients");
    await expectPath(other, "/clients");
    await other.context().close();
  });

  test("a callback with a tampered state signs nobody in", async ({ page, browser }, testInfo) => {
    await configureSso(page);
    const user = createUser({ role: "manager" });
    const other = await freshBrowser(browser, testInfo);
    // Rampart's redirect to the provider is caught and its state changed: the provider hands the
    // changed state back to the callback, as an attacker's or a broken provider's answer would.
    let sent = "";
    await other.route("**/auth/sso/start**", async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = new URL(response.headers()["location"]);
      sent = location.searchParams.get("state") ?? "";
      location.searchParams.set("state", `${sent}x`);
      await route.fulfill({ response, headers: { ...response.headers(), location: location.toString() } });
    });
    await signInAtProvider(other, user);
    expect(sent).not.toBe("");
    await expectPath(other, "/login");
    await expect(other.getByRole("alert").filter({ hasText: "took too long, was used already" })).toBeVisible();
    await open(other, "/clients");
    await expect(other).toHaveURL((url) => url.pathname === "/login");
    await other.context().close();
  });
});
