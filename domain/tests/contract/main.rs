//! The domain's integration tests, linked as one binary: the storage contract of every area on
//! SQLite and, when RAMPART_TEST_POSTGRES_URL is set, PostgreSQL (each test in a fresh
//! database of its own), row-level security, backups, the large demo set and the parsers.

mod access_contract;
mod access_csv;
mod audit_contract;
mod audit_forwarding;
mod backup;
mod controls_contract;
mod csv_fuzz;
mod demo_large;
mod identity_contract;
mod meetings_contract;
mod parsers;
mod reviews_contract;
mod row_security;
mod schema;
mod scoring_contract;
mod scoring_live;
mod storage_contract;
mod users_admin_contract;
