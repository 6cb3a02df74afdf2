# Shared environment for the scripts (sourced, not run).
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
# Keep cargo's build output outside the checkout so fresh clones and CI reruns reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/rampart-target}"
# cargo-leptos builds with this flag; plain cargo must use the same or everything rebuilds.
export RUSTFLAGS="${RUSTFLAGS:---cfg erase_components}"
# cargo-leptos compiles the server with this set, and Leptos reads it at compile time (it names
# the wasm file the page loads); plain cargo must see the same value or it rebuilds Leptos.
export LEPTOS_OUTPUT_NAME=rampart
