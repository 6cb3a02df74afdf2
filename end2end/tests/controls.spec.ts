import { expect, test, type Page } from "@playwright/test";
import { createClientViaUi, createUser, expectPath, field, open, signIn, uniqueClient, waitForHydration } from "./support";

/** The count of controls with `label` shown above a checklist, e.g. "Implemented: 1". */
function count(page: Page, label: string, n: number) {
  return page.getByRole("group", { name: `${label}: ${n}`, exact: true });
}

async function saveStatus(page: Page, status: string, extra: { justification?: string; note?: string } = {}) {
  await field(page, "Status").selectOption({ label: status });
  if (extra.justification !== undefined) await field(page, "Why it does not apply").fill(extra.justification);
  if (extra.note !== undefined) await field(page, "Note for the history").fill(extra.note);
  await page.getByRole("button", { name: "Save", exact: true }).click();
}

test.describe("hardening status", () => {
  test("a manager records statuses with evidence, sees history and counts change", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    const client = uniqueClient("Harbor Legal", "harbor");
    await signIn(page, manager);
    await createClientViaUi(page, client);

    await page.getByRole("link", { name: "Hardening status", exact: true }).click();
    await expectPath(page, `/clients/${client.slug}/controls`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Hardening status of");
    await expect(count(page, "Implemented", 0)).toBeVisible();

    await test.step("RA-01 implemented", async () => {
      await page.getByRole("link", { name: /^RA-01 / }).click();
      await expectPath(page, `/clients/${client.slug}/controls/RA-01`);
      await saveStatus(page, "Implemented", { note: "Checked the VPN policy" });
      await waitForHydration(page);
      const history = page.getByRole("table", { name: "History" });
      await expect(history).toContainText("Not assessed → Implemented");
      await expect(history).toContainText("Checked the VPN policy");
    });

    await test.step("RA-04 not applicable needs a reason", async () => {
      await open(page, `/clients/${client.slug}/controls/RA-04`);
      await saveStatus(page, "Not applicable");
      await expect(page.getByText(/Say why this control does not apply/).first()).toBeVisible();
      await expectPath(page, `/clients/${client.slug}/controls/RA-04`);
      await open(page, `/clients/${client.slug}/controls/RA-04`);
      await saveStatus(page, "Not applicable", { justification: "No services are published to the internet." });
      await expect(page.getByRole("table", { name: "History" })).toContainText("Not assessed → Not applicable");
    });

    await test.step("RA-05 partial", async () => {
      await open(page, `/clients/${client.slug}/controls/RA-05`);
      await saveStatus(page, "Partial");
      await expect(page.getByRole("table", { name: "History" })).toContainText("Not assessed → Partial");
    });

    await test.step("the counts follow", async () => {
      await open(page, `/clients/${client.slug}/controls`);
      await expect(count(page, "Implemented", 1)).toBeVisible();
      await expect(count(page, "Not applicable", 1)).toBeVisible();
      await expect(count(page, "Partial", 1)).toBeVisible();
      await field(page, "Status").selectOption({ label: "Not applicable" });
      await page.getByRole("button", { name: "Apply", exact: true }).click();
      await expect(page.getByRole("link", { name: /^RA-04 / })).toBeVisible();
      await expect(page.getByRole("link", { name: /^RA-01 / })).toHaveCount(0);
    });
  });

  test("a risk acceptance needs a second manager, and a bulk change sets several controls", async ({ browser, page }) => {
    const first = createUser({ role: "manager" });
    const second = createUser({ role: "manager" });
    const client = uniqueClient("Lakeshore Freight", "lakeshore");
    await signIn(page, first);
    await createClientViaUi(page, client);

    await test.step("the first manager asks", async () => {
      await open(page, `/clients/${client.slug}/controls/RA-04`);
      const until = new Date(Date.now() + 60 * 24 * 3600 * 1000).toISOString().slice(0, 10);
      await field(page, "Reason for accepting the risk").fill("Legacy appliance replaced next quarter; allow-list in place.");
      await field(page, "Accepted until").fill(until);
      await page.getByRole("button", { name: "Ask for risk acceptance", exact: true }).click();
      await expect(page.getByText("Risk acceptance pending approval").first()).toBeVisible();
      await expect(page.getByRole("button", { name: "Approve risk acceptance" })).toHaveCount(0);
    });

    await test.step("a second manager approves", async () => {
      const context = await browser.newContext();
      const other = await context.newPage();
      await signIn(other, second);
      await open(other, `/clients/${client.slug}/controls/RA-04`);
      await other.getByRole("button", { name: "Approve risk acceptance", exact: true }).click();
      await expect(other.getByText("Risk accepted", { exact: true }).first()).toBeVisible();
      await expect(other.getByRole("table", { name: "History" })).toContainText("Risk acceptance approved");
      await context.close();
    });

    await test.step("a bulk change", async () => {
      await open(page, `/clients/${client.slug}/controls`);
      await expect(page.getByText("Risk accepted", { exact: true }).first()).toBeVisible();
      await page.getByRole("checkbox", { name: "Select RA-06" }).check();
      await page.getByRole("checkbox", { name: "Select RA-07" }).check();
      await field(page, "New status").selectOption({ label: "Implemented" });
      await field(page, "Note for the history").fill("Quarterly review");
      await page.getByRole("button", { name: "Apply to selected", exact: true }).click();
      await expect(count(page, "Implemented", 2)).toBeVisible();
      await open(page, `/clients/${client.slug}/controls/RA-07`);
      await expect(page.getByRole("table", { name: "History" })).toContainText("Quarterly review");
    });
  });

  test("the catalog lists every category with its references", async ({ page }) => {
    const auditor = createUser({ role: "auditor" });
    await signIn(page, auditor);
    await open(page, "/catalog");
    await expect(page.getByRole("heading", { level: 1, name: "Control catalog" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Remote access" })).toContainText("RA-01");
    await expect(page.getByText("unverified").first()).toBeVisible();
    await field(page, "Search controls").fill("backup");
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await expect(page.getByRole("table", { name: "Remote access" })).toHaveCount(0);
    await expect(page.getByRole("table", { name: "Backup & recovery" })).toBeVisible();
  });

  test("a manager adds a custom control, changes it and retires it", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);
    await open(page, "/catalog");
    await page.getByRole("link", { name: "New control", exact: true }).click();
    await expectPath(page, "/catalog/new");
    await page.getByRole("button", { name: "Add control", exact: true }).click();
    await expect(page.getByText("Enter a title of 1 to 70 characters.").first()).toBeVisible();

    await open(page, "/catalog/new");
    const title = `Printers on their own VLAN ${Date.now()}`;
    await field(page, "Title").fill(title);
    await field(page, "What must be true").fill("Printers sit on an isolated VLAN with no route to servers.");
    await field(page, "Category").selectOption({ label: "Network segmentation" });
    await page.getByRole("checkbox", { name: "Standard" }).check();
    await field(page, "References").fill("Internal policy: NET-7");
    await page.getByRole("button", { name: "Add control", exact: true }).click();
    await expectPath(page, "/catalog");
    await expect(page.getByText(title)).toBeVisible();

    const edit = page.getByRole("link", { name: /^Edit CUS-/ }).first();
    await edit.click();
    await waitForHydration(page);
    await field(page, "Title").fill(`${title} (revised)`);
    await page.getByRole("button", { name: "Save control", exact: true }).click();
    await expectPath(page, "/catalog");
    await expect(page.getByText(`${title} (revised)`)).toBeVisible();

    await page.getByRole("link", { name: /^Edit CUS-/ }).first().click();
    await waitForHydration(page);
    await page.getByRole("button", { name: "Retire control", exact: true }).click();
    await expectPath(page, "/catalog");
    await expect(page.getByText(`${title} (revised)`)).toHaveCount(0);
  });
});
