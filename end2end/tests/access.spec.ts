import { expect, test } from "@playwright/test";
import { createClientViaUi, createUser, field, open, signIn, uniqueClient, waitForHydration } from "./support";

test.describe("access register", () => {
  test("a manager adds a technician, grants access, starts offboarding and revokes", async ({ page }) => {
    const manager = createUser({ role: "manager" });
    const client = uniqueClient("Cedar Dental", "cedar");
    await signIn(page, manager);
    await createClientViaUi(page, client);

    await open(page, "/technicians");
    const name = `Elena Rossi ${Date.now()}`;
    await field(page, "Full name").fill(name);
    await field(page, "Work email").fill(`elena.${Date.now()}@msp.example`);
    await field(page, "Job title").fill("Systems engineer");
    await field(page, "Start date").fill("2026-01-05");
    await page.getByRole("button", { name: "Add technician", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await waitForHydration(page);

    await field(page, "Client").selectOption({ label: client.name });
    await field(page, "System").selectOption({ label: "RMM" });
    await field(page, "Privilege").selectOption({ label: "Admin" });
    await field(page, "Justification").fill("Patching and monitoring");
    await page.getByRole("button", { name: "Grant access", exact: true }).click();
    await expect(page.getByRole("table", { name: "Access by client" })).toContainText(client.name);

    await open(page, `/clients/${client.slug}`);
    const reach = page.getByRole("table", { name: "Who at the MSP can reach this client" });
    await expect(reach).toContainText(name);
    await expect(reach).toContainText("RMM");

    await reach.getByRole("link", { name }).click();
    await waitForHydration(page);
    await page.getByRole("button", { name: "Start offboarding", exact: true }).click();
    await expect(page.getByText("A leaver still holds this access").first()).toBeVisible();

    await open(page, "/findings");
    const findings = page.getByRole("table", { name: "Access findings" });
    await expect(findings).toContainText(client.name);
    await expect(findings).toContainText(name);

    await page.getByText("Revoke…", { exact: true }).first().click();
    await page.getByLabel("How it was removed").first().fill("Removed from the RMM; user list checked");
    await page.getByRole("button", { name: `Revoke RMM at ${client.name}` }).click();
    await expect(page.getByText("No findings")).toBeVisible();
  });
});
