//! Every parser of typed input against random text: 5,000 strings each of random Unicode
//! (control characters, NULs, combining marks, emoji, right-to-left, very long), plus the
//! valid forms. None panics; what one accepts it gives back in its own form, and parsing that
//! again gives the same (a round trip).

use rampart_domain::access::{Privilege, SlaUnit, TechnicianState};
use rampart_domain::audit::parse_head;
use rampart_domain::authz::Role;
use rampart_domain::clients::model::{clean_line, looks_like_email};
use rampart_domain::clients::{ClientSort, ImpactTier, Slug};
use rampart_domain::controls::ControlStatus;
use rampart_domain::demo::DemoRng;
use rampart_domain::identity::Email;
use rampart_domain::reviews::{Cadence, Calendar, OccurrenceState, ReviewKind};

const ALPHABET: &[char] = &[
    'a', 'z', 'A', 'Z', '0', '9', '-', '_', '.', '@', ':', ' ', '\t', '\n', '\r', '\0', '\u{7f}', '\u{200b}',
    '\u{202e}', '\u{301}', 'é', 'ß', 'İ', 'ﬁ', '中', '🙂', '<', '>', '&', '"', '\'', '/', '\\', '%', '+', '=', ',',
    ';',
];

fn random_text(rng: &mut DemoRng) -> String {
    let len = match rng.below(10) {
        0 => 0,
        1 => 500 + rng.below(5_000),
        _ => rng.below(40),
    };
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

fn inputs() -> Vec<String> {
    let mut rng = DemoRng::new(42);
    let mut out: Vec<String> = (0..5_000).map(|_| random_text(&mut rng)).collect();
    out.extend(
        [
            "acme-dental",
            "admin",
            "critical",
            "implemented",
            "offboarding",
            "business_days",
            "quarterly",
            "access_review",
            "in_progress",
            "name",
            "ops@example.com",
            "12:ab",
            "Europe/Berlin",
        ]
        .map(String::from),
    );
    out
}

macro_rules! round_trips {
    ($text:expr, $ty:ty) => {
        if let Some(v) = <$ty>::parse($text) {
            assert_eq!(<$ty>::parse(v.as_str()), Some(v), "{} round trip of {:?}", stringify!($ty), $text);
        }
    };
}

#[test]
fn no_parser_panics_and_what_is_accepted_round_trips() {
    for text in inputs() {
        let text = text.as_str();
        round_trips!(text, Role);
        round_trips!(text, ImpactTier);
        round_trips!(text, ClientSort);
        round_trips!(text, ControlStatus);
        round_trips!(text, TechnicianState);
        round_trips!(text, Privilege);
        round_trips!(text, SlaUnit);
        round_trips!(text, Cadence);
        round_trips!(text, ReviewKind);
        round_trips!(text, OccurrenceState);
        if let Ok(slug) = Slug::parse(text) {
            assert_eq!(Slug::parse(slug.as_str()).map(|s| s.as_str().to_string()), Ok(slug.as_str().to_string()));
            assert!(slug.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
        // A slug suggested from a name has the slug's shape; a too short or reserved one is
        // refused by Slug::parse with a message for the person to choose another.
        let from_name = Slug::from_name(text);
        assert!(
            from_name.len() <= 64
                && from_name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !from_name.starts_with('-')
                && !from_name.ends_with('-')
                && !from_name.contains("--"),
            "a slug made from {text:?}: {from_name:?}"
        );
        if let Ok(email) = Email::parse(text) {
            assert_eq!(Email::parse(email.as_str()).map(|e| e.as_str().to_string()), Ok(email.as_str().to_string()));
        }
        let cleaned = clean_line(text);
        assert!(!cleaned.chars().any(|c| c.is_control()), "no control characters left in {cleaned:?}");
        assert_eq!(clean_line(&cleaned), cleaned, "cleaning is idempotent");
        let _ = looks_like_email(text);
        if let Some(head) = parse_head(text) {
            assert!(head.seq >= 0 && head.last_hash.len() == 64);
        }
        let _ = Calendar::named(text);
    }
}
