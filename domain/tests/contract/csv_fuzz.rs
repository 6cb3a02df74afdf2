//! The CSV import against mangled files: 600 mutations of the documented example (bytes
//! flipped, cut short, quotes, separators and line breaks inserted, invalid UTF-8, NUL bytes,
//! huge cells, reordered lines). Whatever arrives, the preview answers with row or file errors,
//! never a panic or an internal error, and a commit writes everything or nothing.

use chrono::Utc;
use rampart_domain::access::csv_io::{commit_import, preview_import};
use rampart_domain::demo::DemoRng;
use rampart_domain::{testing, Actor, Db, DomainError};

const EXAMPLE: &str = include_str!("../../../docs/examples/access-import.csv");

fn mutate(rng: &mut DemoRng, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = if bytes.is_empty() { 0 } else { rng.below(bytes.len()) };
        match rng.below(9) {
            0 => {
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => bytes.truncate(at),
            2 => bytes.insert(at, b'"'),
            3 => bytes.insert(at, b','),
            4 => bytes.insert(at, b'\n'),
            5 => bytes.splice(at..at, [0xff, 0xfe, 0x00]).for_each(drop),
            6 => bytes.splice(at..at, std::iter::repeat_n(b'x', 5_000)).for_each(drop),
            7 => bytes.splice(at..at, *b"=HYPERLINK(\"http://x\"),@SUM(1),+1,-1").for_each(drop),
            _ => {
                let mut lines: Vec<&[u8]> = base.split(|b| *b == b'\n').collect();
                let n = lines.len();
                lines.swap(rng.below(n), rng.below(n));
                bytes = lines.join(&b'\n');
            }
        }
    }
    bytes
}

async fn counts(db: &Db) -> (i64, i64) {
    let q = |t: &str| format!("SELECT COUNT(*) FROM {t}");
    match db {
        Db::Sqlite(p) => (
            sqlx::query_scalar(&q("technicians")).fetch_one(p).await.unwrap(),
            sqlx::query_scalar(&q("grants")).fetch_one(p).await.unwrap(),
        ),
        Db::Postgres(p) => (
            sqlx::query_scalar(&q("technicians")).fetch_one(p).await.unwrap(),
            sqlx::query_scalar(&q("grants")).fetch_one(p).await.unwrap(),
        ),
    }
}

#[tokio::test]
async fn mangled_files_give_errors_in_words_and_all_or_nothing() {
    let test = testing::sqlite().await;
    let db = test.db.clone();
    rampart_domain::demo::fill(&db, rampart_domain::demo::DemoSize::Small, 1).await.unwrap();
    let cli = Actor::command_line();
    let now = Utc::now();
    let mut rng = DemoRng::new(7);
    let mut committed = 0;
    for case in 0..600 {
        let bytes = mutate(&mut rng, EXAMPLE.as_bytes());
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match preview_import(&db, &cli, &text, now).await {
            Ok(_) | Err(DomainError::Validation(_)) => {}
            Err(other) => panic!("case {case}: {other:?} for {text:?}"),
        }
        // Now and then, commit: either every row lands or none does.
        if case % 25 == 0 {
            let before = counts(&db).await;
            match commit_import(&db, &cli, &text, now).await {
                Ok(summary) => {
                    committed += 1;
                    let after = counts(&db).await;
                    assert_eq!(
                        (after.0 - before.0, after.1 - before.1),
                        (summary.technicians_created as i64, summary.grants_created as i64),
                        "case {case}"
                    );
                }
                Err(DomainError::Validation(_)) | Err(DomainError::Conflict { .. }) => {
                    assert_eq!(counts(&db).await, before, "case {case}: a refused file writes nothing");
                }
                Err(other) => panic!("case {case}: {other:?}"),
            }
        }
    }
    assert!(committed < 24, "most mangled files are refused");
    test.cleanup().await;
}
