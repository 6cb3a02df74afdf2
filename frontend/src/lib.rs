//! The browser entry point. Pages are rendered on the server and work as they are; only the
//! islands (components marked `#[island]` in the app crate) are hydrated, which keeps the wasm
//! small.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // The islands are exported from the app crate; naming it links them in.
    #[allow(unused_imports)]
    use app::*;
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // Browser tests wait for this before they interact with the page.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
