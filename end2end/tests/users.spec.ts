import { expect, test } from "@playwright/test";
import {
  createClientViaUi,
  createUser,
  expectPath,
  field,
  moveClock,
  open,
  randomString,
  signIn,
  uniqueClient,
  waitForHydration,
} from "./support";

test.describe("people", () => {
  test("an admin invites a client viewer, who joins through the link and sees only their client", async ({
    page,
    browser,
  }, testInfo) => {
    // Two clients, two browsers, a confirmation: longer than the default 30 s on two cores.
    test.setTimeout(120_000);
    const admin = createUser({ role: "admin" });
    await signIn(page, admin);
    const own = uniqueClient("Acme Dental", "acme");
    const other = uniqueClient("Borealis Law", "borealis");
    await createClientViaUi(page, own);
    await createClientViaUi(page, other);

    await open(page, "/settings/users");
    await expect(page.getByRole("heading", { level: 1, name: "People" })).toBeVisible();
    const email = `e2e-invitee-${randomString(10)}@example.test`;
    await field(page, "Email address to invite").fill(email);
    await field(page, "Role of the invitee").selectOption({ label: "Client viewer" });
    await field(page, "Clients of the invitee").selectOption({ label: own.name });
    await page.getByRole("button", { name: "Create invitation", exact: true }).click();
    const shown = page.getByLabel("Invitation link");
    await expect(shown).toBeVisible();
    const link = (await shown.textContent())?.trim() ?? "";
    expect(link).toMatch(/\/invite\/[0-9a-f]{64}$/);
    await expect(page.getByRole("table", { name: "Pending invitations" })).toContainText(email);
    await waitForHydration(page);

    // The invitee, in a browser of their own, follows the link and sets a password.
    const elsewhere = await browser.newContext(testInfo.project.use);
    try {
      const invitee = await elsewhere.newPage();
      const path = new URL(link).pathname;
      await open(invitee, path);
      await expect(invitee.getByText(`You are invited as Client viewer of ${own.name} (${email}).`)).toBeVisible();
      await field(invitee, "Your name").fill("Carol Client");
      await field(invitee, "Password").fill("short");
      await invitee.getByRole("button", { name: "Create my account", exact: true }).click();
      await expect(invitee.getByText("Use at least 12 characters.")).toBeVisible();
      await waitForHydration(invitee);
      await field(invitee, "Your name").fill("Carol Client");
      await field(invitee, "Password").fill(randomString(20));
      await invitee.getByRole("button", { name: "Create my account", exact: true }).click();
      await expectPath(invitee, `/clients/${own.slug}`);
      await expect(invitee.getByRole("heading", { level: 1, name: own.name })).toBeVisible();
      await open(invitee, `/clients/${other.slug}`);
      await expect(invitee.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
      await expect(invitee.getByText(other.name)).toHaveCount(0);

      // The link works once.
      await open(invitee, path);
      await expect(invitee.getByRole("alert")).toContainText("This invitation link cannot be used");
    } finally {
      await elsewhere.close();
    }

    // The admin sees the new account; disabling it later asks the admin to confirm first.
    await open(page, "/settings/users");
    const row = page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email });
    await expect(row).toContainText("Client viewer");
    await expect(row).toContainText(own.slug);
    await expect(row).toContainText("Active");
    moveClock(0.2);
    try {
      await open(page, "/settings/users");
      await page.getByRole("button", { name: `Disable ${email}`, exact: true }).click();
      await expect(page.getByRole("alert").filter({ hasText: "confirm it is you" })).toBeVisible();
      await page.getByRole("link", { name: "Confirm it is you", exact: true }).click();
      await expectPath(page, "/account/confirm");
      await field(page, "Password").fill("not the password");
      await page.getByRole("button", { name: "Confirm", exact: true }).click();
      await expect(page.getByText("That password is not right.")).toBeVisible();
      await waitForHydration(page);
      await field(page, "Password").fill(admin.password);
      await page.getByRole("button", { name: "Confirm", exact: true }).click();
      await expectPath(page, "/settings/users");
      await page.getByRole("button", { name: `Disable ${email}`, exact: true }).click();
      const disabled = page.getByRole("table", { name: "People" }).getByRole("row").filter({ hasText: email });
      await expect(disabled).toContainText("Disabled");
    } finally {
      moveClock(0);
    }
  });

  test("a manager invites client viewers only", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);
    const client = uniqueClient("Cedar Clinic", "cedar");
    await createClientViaUi(page, client);
    await open(page, "/settings/users");
    await expect(page.getByRole("heading", { level: 2, name: "Invite a client viewer" })).toBeVisible();
    const roles = await field(page, "Role of the invitee").locator("option").allTextContents();
    expect(roles).toEqual(["Client viewer"]);
    await expect(page.getByRole("heading", { level: 2, name: "Change a role" })).toHaveCount(0);
    // Without a client, the invitation is refused with a clear message.
    await field(page, "Email address to invite").fill(`e2e-nobody-${randomString(8)}@example.test`);
    await page.getByRole("button", { name: "Create invitation", exact: true }).click();
    await expect(page.getByRole("alert")).toContainText("A client viewer belongs to exactly one client.");
  });

  test("a refused form comes back with what was typed, except the password", async ({ page }) => {
    const admin = createUser({ role: "admin" });
    await signIn(page, admin);
    await open(page, "/settings/users");
    await waitForHydration(page);
    const email = `e2e-kept-${randomString(8)}@example.test`;
    await field(page, "Email of the new user").fill(email);
    await field(page, "Name of the new user").fill("Kim \"K\" Park & Co");
    await field(page, "Role of the new user").selectOption({ label: "Auditor" });
    await field(page, "First password").fill("short");
    await page.getByRole("button", { name: "Add user", exact: true }).click();
    await expect(page.getByRole("alert")).toContainText("Use at least 12 characters.");
    await expect(field(page, "Email of the new user")).toHaveValue(email);
    await expect(field(page, "Name of the new user")).toHaveValue("Kim \"K\" Park & Co");
    await expect(field(page, "Role of the new user")).toHaveValue("auditor");
    await expect(field(page, "First password")).toHaveValue("");
    await expect(field(page, "Email address to invite")).toHaveValue("");
  });
});
