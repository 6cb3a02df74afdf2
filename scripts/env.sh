# Shared environment for the scripts (sourced, not run).
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
# Keep cargo's build output outside the checkout so fresh clones and CI reruns reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/rampart-target}"
# The build flags (erased components) and LEPTOS_OUTPUT_NAME live in .cargo/config.toml, so that
# plain cargo and cargo-leptos build alike with or without this file.
