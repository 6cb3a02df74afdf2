//! Text helpers shared by several areas, at the ground of the domain's layers: nothing here
//! knows of clients, access or audit.

use std::borrow::Cow;

/// Neutralises a cell that a spreadsheet would run as a formula (or that starts with a tab or
/// carriage return, which some spreadsheets strip before deciding): a single quote goes first.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The reverse of [`neutralise`] for a trimmed cell, so that an export re-imports unchanged.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralise_prefixes_formula_starts_only() {
        for cell in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["Ada", "2026-01-05", "", "a=b", "'quoted", "ada@msp.example"] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
        assert_eq!(unneutralise(&neutralise("=1+1")), "=1+1", "an export re-imports unchanged");
        assert_eq!(unneutralise("'quoted"), "'quoted");
    }
}
