import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createUser, expectPath, field, open, signIn, waitForHydration } from "./support";

test.describe("your account", () => {
  test("signing out everywhere ends the session of every browser, and the page breaks no policy", async ({
    page,
    browser,
  }, testInfo) => {
    // Anything the Content-Security-Policy blocks is reported on the console.
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const user = createUser({ role: "auditor" });
    const elsewhere = await browser.newContext(testInfo.project.use);
    const otherPage = await elsewhere.newPage();
    await signIn(otherPage, user);
    await signIn(page, user);

    await page.getByText(user.name, { exact: true }).filter({ visible: true }).first().click();
    await page.getByRole("link", { name: "Your account", exact: true }).click();
    await expectPath(page, "/account");
    await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
    await expect(page.getByRole("main").getByText(user.email, { exact: true })).toBeVisible();
    await page.getByRole("button", { name: "Sign out everywhere", exact: true }).click();
    await expectPath(page, "/login");

    // The other browser is signed out too.
    await open(otherPage, "/clients");
    await expect(otherPage).toHaveURL((url) => url.pathname === "/login");
    await elsewhere.close();
    expect(violations).toEqual([]);
  });
});

/** RFC 6238 (HMAC-SHA1, 30 s, 6 digits) of a base32 secret at `unixSeconds`. */
function totp(secret: string, unixSeconds: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const hash = createHmac("sha1", key).update(counter).digest();
  const offset = hash[hash.length - 1] & 0x0f;
  const value = (hash.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

test.describe("two-factor sign-in", () => {
  test("a user sets up an app, then signs in with the password and a code", async ({ page }) => {
    const user = createUser({ role: "manager" });
    await signIn(page, user);
    await open(page, "/account");
    await expect(page.getByText(/^Off:/)).toBeVisible();
    await page.getByRole("button", { name: "Set up two-factor sign-in", exact: true }).click();
    const secret = (await page.getByLabel("Key", { exact: true }).textContent())?.trim() ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // The key as a QR code, drawn on the server as inline SVG.
    const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
    await expect(qr).toBeVisible();
    await expect(qr.locator("svg path")).toHaveCount(1);
    await waitForHydration(page);
    await field(page, "Code from the app").fill(totp(secret, Date.now() / 1000));
    await page.getByRole("button", { name: "Turn on", exact: true }).click();
    const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
    await expect(codes).toHaveCount(10);
    await expect(page.getByText(/^On:/)).toBeVisible();

    await page.getByText(user.name, { exact: true }).filter({ visible: true }).first().click();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expectPath(page, "/login");
    await field(page, "Email").fill(user.email);
    await field(page, "Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expectPath(page, "/login/code");
    await field(page, "Code").fill("000000");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert")).toContainText(/not right/);
    // The confirming code is spent: the next step's code (accepted a step early) signs in.
    await field(page, "Code").fill(totp(secret, Date.now() / 1000 + 30));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expectPath(page, "/");
    await expect(page.getByRole("heading", { level: 1, name: "Portfolio" })).toBeVisible();
  });
});
