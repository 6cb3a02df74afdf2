//! Backups of a SQLite deployment taken while it runs, and restores that check before they
//! replace anything.

use rampart_domain::backup;
use rampart_domain::{testing, Actor, Db, DomainError};

async fn counts(db: &Db) -> Vec<i64> {
    let mut out = Vec::new();
    for table in ["clients", "client_controls", "technicians", "grants", "review_occurrences", "audit_log"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = match db {
            Db::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
        };
        out.push(n);
    }
    out
}

#[tokio::test]
async fn a_backup_taken_while_running_restores_to_the_same_data_with_a_verified_audit_chain() {
    let source = testing::sqlite().await;
    rampart_domain::demo::fill(&source.db, rampart_domain::demo::DemoSize::Small, 3).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rampart-backup.db");

    let taken = backup::backup(&source.db, &file).await.unwrap();
    assert!(taken.bytes > 0 && taken.audit_entries > 0, "{taken:?}");
    let again = backup::backup(&source.db, &file).await;
    assert!(
        matches!(again, Err(DomainError::Validation(e)) if e[0].message.contains("already exists")),
        "never overwrites"
    );

    // Taken while writes go on: the copy is one consistent moment, its audit chain whole.
    let writer = {
        let db = source.db.clone();
        tokio::spawn(async move {
            for n in 0..20 {
                testing::user(&db, &format!("busy{n}@example.test"), "auditor", &[]).await;
            }
        })
    };
    let during = dir.path().join("during.db");
    let copy = backup::backup(&source.db, &during).await.unwrap();
    writer.await.unwrap();
    assert!(copy.audit_entries >= taken.audit_entries, "checked on the way: integrity and the whole chain");
    let before = counts(&source.db).await;
    std::fs::remove_file(&file).unwrap();
    let taken = backup::backup(&source.db, &file).await.unwrap();

    // Changes after the backup are not in it.
    testing::user(&source.db, "after.backup@example.test", "auditor", &[]).await;
    assert_ne!(counts(&source.db).await, before);

    let target = dir.path().join("restored.db");
    std::fs::write(&target, b"an older database that the restore replaces").unwrap();
    let url = format!("sqlite://{}?mode=rwc", target.display());
    let restored = backup::restore(&url, &file).await.unwrap();
    assert_eq!(restored.audit_entries, taken.audit_entries);
    let db = rampart_domain::setup::connect(&url).await.unwrap();
    assert_eq!(counts(&db).await, before, "the same data as when the backup was taken");
    let verified = rampart_domain::audit::verify(&db, &Actor::command_line(), None).await.unwrap();
    assert!(verified.broken.is_none());
    db.close().await;
    source.cleanup().await;
}

#[tokio::test]
async fn a_restore_refuses_what_is_not_a_sound_rampart_database_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("live.db");
    let url = format!("sqlite://{}?mode=rwc", target.display());
    let live = rampart_domain::setup::connect(&url).await.unwrap();
    testing::user(&live, "keep@example.test", "admin", &[]).await;
    live.close().await;
    // What the live database holds, read through SQLite (its files may still be settling after
    // the close: a byte comparison would race with the last checkpoint).
    let holds = || async {
        let db = rampart_domain::setup::connect(&url).await.unwrap();
        let Db::Sqlite(pool) = &db else { unreachable!("a SQLite file") };
        let users: Vec<String> =
            sqlx::query_scalar("SELECT email FROM users ORDER BY id").fetch_all(pool).await.unwrap();
        db.close().await;
        users
    };
    let keep = holds().await;
    assert_eq!(keep, vec!["keep@example.test".to_string()]);

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database at all").unwrap();
    let plain = dir.path().join("plain.db");
    {
        let other = rampart_domain::setup::connect(&format!("sqlite://{}?mode=rwc", plain.display())).await.unwrap();
        if let Db::Sqlite(pool) = &other {
            sqlx::query("DROP TABLE _sqlx_migrations").execute(pool).await.unwrap();
        }
        other.close().await;
    }
    let tampered = dir.path().join("tampered.db");
    {
        let other = rampart_domain::setup::connect(&format!("sqlite://{}?mode=rwc", tampered.display())).await.unwrap();
        testing::user(&other, "someone@example.test", "admin", &[]).await;
        if let Db::Sqlite(pool) = &other {
            // As an attacker with the file would: drop the guard, rewrite an entry.
            let triggers: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
                    .fetch_all(pool)
                    .await
                    .unwrap();
            for t in triggers {
                sqlx::query(&format!("DROP TRIGGER \"{t}\"")).execute(pool).await.unwrap();
            }
            sqlx::query("UPDATE audit_log SET summary = 'nothing happened' WHERE seq = 1").execute(pool).await.unwrap();
        }
        other.close().await;
    }
    for (file, words) in [
        (dir.path().join("missing.db"), "cannot be read"),
        (text, "not a"),
        (plain, "not a Rampart database"),
        (tampered, "audit log does not verify at entry 1"),
    ] {
        let refused = backup::restore(&url, &file).await;
        assert!(
            matches!(&refused, Err(DomainError::Validation(e)) if e[0].message.contains(words)),
            "{}: {refused:?}",
            file.display()
        );
        assert_eq!(holds().await, keep, "nothing replaced");
    }
}

#[tokio::test]
async fn postgresql_deployments_are_pointed_to_their_own_tools() {
    let Some(pg) = testing::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let refused = backup::backup(&pg.db, &dir.path().join("x.db")).await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e[0].message.contains("pg_dump")));
    let refused = backup::restore(&pg.url, &dir.path().join("x.db")).await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e[0].message.contains("pg_restore")));
    pg.cleanup().await;
}
