//! The two migration trees give the same schema: the same tables, the same columns with the
//! same types (mapped: SQLite keeps times and dates as text) and nullability, and the same
//! indexes (by table, columns and uniqueness). And a database that a newer Rampart migrated is
//! refused, on both databases.

use rampart_domain::db::Db;
use rampart_domain::testing;
use std::collections::BTreeSet;

/// (table, column, type, nullable)
type Column = (String, String, &'static str, bool);
/// (table, columns, unique)
type Index = (String, String, bool);

#[derive(Debug, PartialEq)]
struct Schema {
    tables: BTreeSet<String>,
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
}

/// The portable type a declared type stands for.
fn portable(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int" | "int8" | "int4" | "smallint" | "bigserial" => "integer",
        "boolean" | "bool" => "boolean",
        "text" | "character varying" | "timestamp with time zone" | "timestamptz" | "date" => "text",
        "bytea" | "blob" => "bytes",
        "real" | "double precision" => "real",
        _ => "unknown",
    }
}

/// Tables of the migration tool and of SQLite itself are not Rampart's schema.
fn is_ours(table: &str) -> bool {
    !table.starts_with("_sqlx") && !table.starts_with("sqlite_")
}

async fn schema_of(db: &Db) -> Schema {
    let mut schema = Schema { tables: BTreeSet::new(), columns: BTreeSet::new(), indexes: BTreeSet::new() };
    match db {
        Db::Sqlite(pool) => {
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                    .fetch_all(pool)
                    .await
                    .unwrap();
            for table in tables.into_iter().filter(|t| is_ours(t)) {
                let columns: Vec<(String, String, bool, i64)> =
                    sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                for (name, declared, not_null, pk) in columns {
                    // A primary key column never holds NULL, declared so or not.
                    schema.columns.insert((table.clone(), name, portable(&declared), !not_null && pk == 0));
                }
                let indexes: Vec<(String, bool, String)> =
                    sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                for (name, unique, origin) in indexes {
                    if origin == "pk" {
                        continue;
                    }
                    let columns: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(&name)
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    schema.indexes.insert((table.clone(), columns.join(","), unique));
                }
                schema.tables.insert(table);
            }
        }
        Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            schema.tables = tables.into_iter().filter(|t| is_ours(t)).collect();
            let columns: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for (table, name, declared, nullable) in columns.into_iter().filter(|c| is_ours(&c.0)) {
                schema.columns.insert((table, name, portable(&declared), nullable == "YES"));
            }
            // Every index but the primary keys', with its key columns in order.
            let indexes: Vec<(String, String, bool)> = sqlx::query_as(
                "SELECT t.relname::text,
                        string_agg(COALESCE(a.attname::text, 'expression'), ',' ORDER BY k.n),
                        i.indisunique
                 FROM pg_index i
                 JOIN pg_class t ON t.oid = i.indrelid
                 JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = 'public'
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
                 WHERE NOT i.indisprimary
                 GROUP BY i.indexrelid, t.relname, i.indisunique",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            schema.indexes = indexes.into_iter().filter(|i| is_ours(&i.0)).collect();
        }
    }
    schema
}

/// What one side has that the other lacks, as lines to read.
fn differences<T: Ord + std::fmt::Debug>(what: &str, sqlite: &BTreeSet<T>, postgres: &BTreeSet<T>) -> Vec<String> {
    let only = |a: &BTreeSet<T>, b: &BTreeSet<T>, side: &str| {
        a.difference(b).map(|x| format!("{what} only on {side}: {x:?}")).collect::<Vec<_>>()
    };
    let mut lines = only(sqlite, postgres, "SQLite");
    lines.extend(only(postgres, sqlite, "PostgreSQL"));
    lines
}

#[tokio::test]
async fn both_migration_trees_give_the_same_tables_columns_types_and_indexes() {
    let sqlite = testing::sqlite().await;
    let Some(postgres) = testing::postgres().await else {
        eprintln!("skipped: set {} to compare with PostgreSQL", testing::POSTGRES_URL_VAR);
        sqlite.cleanup().await;
        return;
    };
    let (a, b) = (schema_of(&sqlite.db).await, schema_of(&postgres.db).await);
    sqlite.cleanup().await;
    postgres.cleanup().await;
    assert!(a.tables.len() > 20 && a.columns.len() > 100, "the schema was read: {a:?}");
    assert!(a.columns.iter().all(|c| c.2 != "unknown"), "a type without a mapping: {:?}", a.columns);
    assert!(b.columns.iter().all(|c| c.2 != "unknown"), "a type without a mapping: {:?}", b.columns);
    let mut lines = differences("table", &a.tables, &b.tables);
    lines.extend(differences("column", &a.columns, &b.columns));
    lines.extend(differences("index", &a.indexes, &b.indexes));
    assert!(lines.is_empty(), "the migration trees differ:\n{}", lines.join("\n"));
}

/// A migration this binary does not know, as a newer Rampart would have applied it.
async fn apply_a_newer_migration(db: &Db) {
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
               VALUES (99990101, 'from a newer Rampart', TRUE, $1, 1)";
    rampart_domain::on_pool!(db, |pool| {
        sqlx::query(sql).bind(vec![0u8; 48]).execute(pool).await.unwrap();
    });
}

async fn a_newer_schema_is_refused(test: testing::TestDatabase) {
    apply_a_newer_migration(&test.db).await;
    let url = test.url.clone();
    let opened = rampart_domain::setup::connect(&url).await;
    let refusal = match opened {
        Ok(db) => {
            db.close().await;
            None
        }
        Err(e) => Some(format!("{e:?}")),
    };
    assert!(!test.db.schema_is_current().await.unwrap(), "a readiness probe sees the schema is not this binary's");
    test.cleanup().await;
    let refusal = refusal.expect("a database migrated by a newer Rampart is refused");
    assert!(refusal.contains("99990101"), "the refusal names the unknown migration: {refusal}");
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_rampart_is_refused_on_sqlite() {
    a_newer_schema_is_refused(testing::sqlite().await).await;
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_rampart_is_refused_on_postgres() {
    match testing::postgres().await {
        Some(test) => a_newer_schema_is_refused(test).await,
        None => eprintln!("skipped: set {} to run on PostgreSQL", testing::POSTGRES_URL_VAR),
    }
}

/// Every unique constraint the stores map to a user's conflict exists in both trees: by its name
/// on PostgreSQL, and as a unique index on exactly its columns on SQLite (which names none).
async fn every_named_unique_constraint_exists(db: &Db) {
    use rampart_domain::db::unique::ALL;
    let schema = schema_of(db).await;
    for unique in ALL {
        let columns = unique.columns.join(",");
        assert!(
            schema.indexes.contains(&(unique.table.to_owned(), columns.clone(), true)),
            "{}: no unique index on {}({columns})",
            unique.postgres,
            unique.table
        );
        if let Db::Postgres(pool) = db {
            let named: Option<String> =
                sqlx::query_scalar("SELECT relname::text FROM pg_class WHERE relname = $1 AND relkind = 'i'")
                    .bind(unique.postgres)
                    .fetch_optional(pool)
                    .await
                    .unwrap();
            assert!(named.is_some(), "PostgreSQL has no index named {}", unique.postgres);
        }
    }
}

rampart_domain::contract_test!(every_unique_constraint_a_store_names_exists_on_both_databases, |db| {
    every_named_unique_constraint_exists(&db).await;
});

/// A unique violation is the user's conflict only when it is the constraint a store names: the
/// audit chain's own (its sequence number) is not a taken slug.
async fn a_violation_is_known_by_its_constraint(db: &Db) {
    use rampart_domain::db::unique::{CLIENT_SLUG, USER_EMAIL};
    let insert_client = "INSERT INTO clients (slug, name, impact_tier, sector, contact_name, contact_email, notes, \
                         created_at, updated_at, version) VALUES ('same', 'Same', 'standard', '', '', '', '', $1, $1, 1)";
    let now = chrono::Utc::now();
    let audit_again = "INSERT INTO audit_log (seq, at, actor_user_id, actor, client_id, object, action, summary, \
                       prev_hash, hash) SELECT seq, at, actor_user_id, actor, client_id, object, action, summary, \
                       prev_hash, hash FROM audit_log ORDER BY seq LIMIT 1";
    let (slug_taken, audit_seq_taken) = rampart_domain::on_pool!(db, |pool| {
        sqlx::query(insert_client).bind(now).execute(pool).await.unwrap();
        let slug = sqlx::query(insert_client).bind(now).execute(pool).await.expect_err("the slug is taken");
        let seq = sqlx::query(audit_again).execute(pool).await.expect_err("the sequence number is taken");
        (slug, seq)
    });
    assert!(CLIENT_SLUG.is_violated_by(&slug_taken), "{slug_taken:?}");
    assert!(!USER_EMAIL.is_violated_by(&slug_taken), "another constraint");
    assert!(
        slug_taken.as_database_error().is_some_and(|e| e.is_unique_violation())
            && audit_seq_taken.as_database_error().is_some_and(|e| e.is_unique_violation()),
        "both are unique violations"
    );
    assert!(!CLIENT_SLUG.is_violated_by(&audit_seq_taken), "the audit chain's is not the user's conflict");
}

rampart_domain::contract_test!(a_unique_violation_is_the_users_conflict_only_on_the_constraint_named, |db| {
    // The catalog's load wrote the first audit entry, which the second insert repeats.
    a_violation_is_known_by_its_constraint(&db).await;
});
