//! HTML written as text, for the few places where the server writes markup itself rather than
//! through views (large static tables, pages outside the app shell).

/// `text` escaped for an HTML element's content or a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped as [`escape`] does.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `value` percent-encoded for a query string or a path: letters, digits, `-_.~` and `/` are
/// kept, every other byte is written as `%XX`.
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{encode_query, escape};

    #[test]
    fn a_query_value_keeps_only_safe_characters() {
        assert_eq!(encode_query("/clients/acme"), "/clients/acme");
        assert_eq!(encode_query("50% & more"), "50%25%20%26%20more");
        assert_eq!(encode_query("é"), "%C3%A9");
    }

    #[test]
    fn markup_and_quotes_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("Ölçüm — 12 %"), "Ölçüm — 12 %");
    }
}
