import { expect, test } from "@playwright/test";
import { axeViolations } from "./support";

// The accessibility check that every page the browser tests visit passes (see support.ts) finds
// what it is meant to find: a check that finds nothing on a faulty page would pass anything.
test.describe("the accessibility check", () => {
  test("reports a name that hides the visible label, and a form field without a label", async ({ page }) => {
    test.skip(test.info().project.use.javaScriptEnabled === false, "axe runs in the page's script");
    await page.setContent(
      `<!doctype html><html lang="en"><head><title>Faulty</title></head><body><main>
         <h1>Faulty</h1>
         <button aria-label="Delete the grant">Keep</button>
         <input type="text" name="unlabelled">
       </main></body></html>`,
    );
    const found = await axeViolations(page);
    expect(found.some((v) => v.startsWith("label-content-name-mismatch:")), found.join("\n")).toBe(true);
    expect(found.some((v) => v.startsWith("label:")), found.join("\n")).toBe(true);
  });
});
