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

/// Markup written as text, for rows that are many on a page and run no code in the browser:
/// rendered as views, element by element, a client's access and review rows cost its page more
/// than everything else on it. `raw` takes the writer's own markup, `text` any value (escaped).
pub struct Markup(String);

impl Markup {
    pub fn with_capacity(bytes: usize) -> Markup {
        Markup(String::with_capacity(bytes))
    }

    /// The writer's own markup, as it is: only what the program holds (`'static`), so that no
    /// value read at run time can pass unescaped.
    pub fn raw(&mut self, markup: &'static str) -> &mut Markup {
        self.0.push_str(markup);
        self
    }

    /// A value, escaped for an element's content or a quoted attribute.
    pub fn text(&mut self, text: &str) -> &mut Markup {
        escape_into(&mut self.0, text);
        self
    }

    /// A number.
    pub fn number(&mut self, n: i64) -> &mut Markup {
        use std::fmt::Write;
        let _ = write!(self.0, "{n}");
        self
    }

    /// `<time>` with the moment's ISO form, its absolute form as the title and its relative form
    /// as the text, as the `TimeAgo` view writes it.
    pub fn time_ago(&mut self, when: &crate::time::When) -> &mut Markup {
        self.raw(r#"<time datetime=""#).text(&when.iso).raw(r#"" title=""#).text(&when.absolute).raw(r#"">"#);
        self.text(&when.relative).raw("</time>")
    }

    pub fn finish(self) -> String {
        self.0
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
    use super::{encode_query, escape, Markup};

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

    #[test]
    fn markup_keeps_its_own_tags_and_escapes_every_value() {
        let when = crate::time::When {
            iso: "2026-12-07T10:00:00Z".into(),
            relative: "3 <days> ago".into(),
            absolute: "2026-12-07 10:00 \"UTC\"".into(),
        };
        let mut html = Markup::with_capacity(0);
        html.raw("<td>").text("a & b").raw("</td>").number(-12).time_ago(&when);
        assert_eq!(
            html.finish(),
            r#"<td>a &amp; b</td>-12<time datetime="2026-12-07T10:00:00Z" title="2026-12-07 10:00 &quot;UTC&quot;">3 &lt;days&gt; ago</time>"#
        );
    }
}
