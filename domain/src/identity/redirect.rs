//! Where a browser goes after signing in, entering a code or confirming: a page of this site,
//! read the way the browser will read it.
//!
//! The target comes from the URL (`?next=`), so anyone can write it into a link. Checking its
//! text is not enough: browsers parse a URL by the WHATWG URL standard, which removes tabs and
//! newlines and reads `\` as `/`, so `/<TAB>/evil.example` is a link to another site. The
//! target is therefore resolved against the site's origin by the same standard (the `url`
//! crate implements it) and followed only when it stays on the origin and names a path; what
//! is returned is the resolved path and query, ASCII and percent-encoded, so that writing it
//! into a `Location` header or a meta refresh cannot fail.

use url::Url;

/// The origin every target is resolved against; only its being one fixed origin matters.
const BASE: &str = "https://rampart.invalid/";

/// Pages a sign-in never returns to: the sign-in pages themselves, and the server functions.
const NEVER: [&str; 2] = ["/login", "/api/"];

/// The local path (and query) to send the browser to, or `None` to go to the home page.
pub fn local_target(next: &str) -> Option<String> {
    let next = next.trim();
    // A path, never an address: "clients" or "https:…" are refused before parsing.
    if !next.starts_with('/') {
        return None;
    }
    let base = Url::parse(BASE).ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() || resolved.username() != "" || resolved.password().is_some() {
        return None;
    }
    let mut target = resolved.path().to_owned();
    // "//host" as a path would be read as another host by the browser.
    if target.starts_with("//") || NEVER.iter().any(|prefix| target.starts_with(prefix)) {
        return None;
    }
    if let Some(query) = resolved.query() {
        target.push('?');
        target.push_str(query);
    }
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::local_target;

    #[test]
    fn a_local_path_is_followed_as_the_browser_reads_it() {
        assert_eq!(local_target("/clients/acme").as_deref(), Some("/clients/acme"));
        assert_eq!(local_target("/clients?tier=critical&q=a%20b").as_deref(), Some("/clients?tier=critical&q=a%20b"));
        assert_eq!(local_target(" /reviews ").as_deref(), Some("/reviews"));
        // Dots are resolved as the browser resolves them.
        assert_eq!(local_target("/clients/../audit").as_deref(), Some("/audit"));
        // The fragment never reaches the server; it is dropped.
        assert_eq!(local_target("/clients#top").as_deref(), Some("/clients"));
    }

    #[test]
    fn what_a_browser_would_send_elsewhere_is_refused() {
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "/.//evil.example",
            "/%2e//evil.example",
            "///evil.example",
            "/\\/evil.example",
            "javascript:alert(1)",
            "clients",
            "",
            "/login?next=/",
            "/login/code",
            "/api/auth/sign_out",
        ] {
            assert_eq!(local_target(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn any_character_gives_a_header_safe_target_or_none() {
        for odd in ["/clients/é", "/a\u{1}b", "/a\u{7f}b", "/a b", "/a\"b<c>", "/ünïcödé?q=ä", "/a\u{0}"] {
            if let Some(target) = local_target(odd) {
                assert!(target.bytes().all(|b| b.is_ascii_graphic()), "{odd:?} gave {target:?}");
                assert!(target.starts_with('/') && !target.starts_with("//"), "{odd:?} gave {target:?}");
            }
        }
        assert_eq!(local_target("/clients/é").as_deref(), Some("/clients/%C3%A9"));
    }
}
