import { expect, test } from "@playwright/test";
import {
  completeStep,
  createClientViaUi,
  createUser,
  field,
  grantAccess as grant,
  moveClock,
  open,
  signIn,
  uniqueClient,
  waitForHydration,
} from "./support";

test.describe("access register", () => {
  test.afterEach(() => moveClock(0));

  test("onboard, grant two clients, offboard, revoke and verify one; the other is past SLA a day later", async ({
    page,
  }) => {
    const manager = createUser({ role: "manager" });
    const cedar = uniqueClient("Cedar Dental", "cedar");
    const birch = uniqueClient("Birch Legal", "birch");
    await signIn(page, manager);
    await createClientViaUi(page, cedar);
    await createClientViaUi(page, birch);

    await open(page, "/technicians");
    const name = `Elena Rossi ${Date.now()}`;
    await field(page, "Full name").fill(name);
    await field(page, "Work email").fill(`elena.${Date.now()}@msp.example`);
    await field(page, "Job title").fill("Systems engineer");
    await field(page, "Start date").fill("2026-01-05");
    await page.getByRole("button", { name: "Add technician", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await waitForHydration(page);
    const onboarding = page.getByRole("table", { name: "Onboarding checklist" });
    await expect(onboarding.getByRole("row")).toHaveCount(12);

    // No access before screening (ON-01), no admin access before MFA (ON-03).
    await grant(page, cedar.name, "RMM", "Admin");
    await expect(page.getByText(/ON-01\) come before any access/).first()).toBeVisible();
    await completeStep(page, "Onboarding checklist", "ON-01", "Screening done, agreements signed");
    await grant(page, cedar.name, "RMM", "Admin");
    await expect(page.getByText(/No admin access before phishing-resistant MFA/).first()).toBeVisible();
    await completeStep(page, "Onboarding checklist", "ON-03", "FIDO2 key enrolled");
    await grant(page, cedar.name, "RMM", "Admin");
    const access = page.getByRole("table", { name: "Access by client" });
    await expect(access).toContainText(cedar.name);
    await waitForHydration(page);
    await grant(page, birch.name, "PSA", "Standard");
    await expect(access).toContainText(birch.name);
    await waitForHydration(page);

    await open(page, `/clients/${cedar.slug}`);
    const reach = page.getByRole("table", { name: "Who at the MSP can reach this client" });
    await expect(reach).toContainText(name);
    await expect(reach).toContainText("RMM");

    // Offboarding: T0 now, a deadline on each grant, the OFF steps.
    await reach.getByRole("link", { name }).click();
    await waitForHydration(page);
    await page.getByText("Start offboarding…", { exact: true }).click();
    await page.getByRole("button", { name: "Start offboarding", exact: true }).click();
    const offboarding = page.getByRole("region", { name: "Offboarding", exact: true });
    await expect(offboarding).toContainText("0 of 2");
    await expect(page.getByRole("table", { name: "Offboarding checklist" }).getByRole("row")).toHaveCount(13);
    await waitForHydration(page);

    // Revoke Cedar's grant, with how it was verified and the evidence.
    const cedarRow = page.getByRole("table", { name: "Access by client" }).getByRole("row").filter({ hasText: cedar.name });
    await cedarRow.getByText("Revoke…", { exact: true }).click();
    await cedarRow.getByLabel("How you verified it").selectOption({ label: "Checked the tool's user list" });
    await cedarRow.getByLabel(/^Evidence/).fill("RMM user list exported, ticket OFF-1042");
    await cedarRow.getByRole("button", { name: `Revoke RMM at ${cedar.name}` }).click();
    await expect(offboarding).toContainText("1 of 2");
    await expect(page.getByText("Verified: Checked the tool's user list. RMM user list exported, ticket OFF-1042")).toBeVisible();

    // Birch's grant is still held: a finding, not yet past its deadline.
    await open(page, "/findings");
    const findings = page.getByRole("table", { name: "Access findings" });
    const birchRow = findings.getByRole("row").filter({ hasText: birch.name }).filter({ hasText: name });
    await expect(birchRow).toContainText("A leaver still holds this access");
    await expect(birchRow).not.toContainText("Revocation past its deadline");
    await expect(findings.getByRole("row").filter({ hasText: cedar.name }).filter({ hasText: name })).toHaveCount(0);

    // A day and an hour later, the 24-hour deadline has passed.
    moveClock(25);
    await open(page, "/findings");
    await expect(birchRow).toContainText("Revocation past its deadline");
    const late = page.getByRole("table", { name: "Checklists past their SLA" });
    await expect(late.getByRole("row").filter({ hasText: name })).toContainText("OFF-02");

    await open(page, `/clients/${birch.slug}`);
    await expect(
      page.getByRole("table", { name: "Who at the MSP can reach this client" }).getByRole("row").filter({ hasText: name }),
    ).toContainText("Revocation past its deadline");
  });

  test("a manager imports technicians from a CSV file: previewed first, then all of it", async ({ page }, testInfo) => {
    const manager = createUser({ role: "manager" });
    await signIn(page, manager);
    await open(page, "/technicians/import");
    const stamp = Date.now();
    const csv = `technician_email,technician_name\nimported.${stamp}@msp.example,Imported Tech ${stamp}\n`;
    const chooser = page.getByLabel("Choose a CSV file");
    if (testInfo.project.use.javaScriptEnabled !== false) {
      // The file chooser is the page's island: it reads the file into the text in the browser.
      await chooser.setInputFiles({ name: "access.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
      await expect(field(page, "CSV text")).toHaveValue(csv);
    } else {
      await expect(chooser).toHaveCount(0);
      await field(page, "CSV text").fill(csv);
    }
    await page.getByRole("button", { name: "Preview", exact: true }).click();
    await expect(page.getByText("Every row is right: 1 new technician and 0 new grants.")).toBeVisible();
    await waitForHydration(page);
    await page.getByRole("button", { name: "Import 1 row", exact: true }).click();
    await expect(page.getByText("Imported 1 new technician and 0 grants.")).toBeVisible();
    await open(page, "/technicians");
    await expect(page.getByText(`Imported Tech ${stamp}`)).toBeVisible();
  });
});
