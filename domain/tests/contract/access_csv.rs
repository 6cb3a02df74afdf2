//! CSV import and export of the access register on both databases: previews that write
//! nothing, commits that write all or nothing, every kind of bad input, who may import and
//! export what, and an export that re-imports.

use chrono::{DateTime, Utc};
use rampart_domain::access::csv_io::{self, ImportPreview, RowAction};
use rampart_domain::access::{self, NewGrant, NewTechnician, Privilege};
use rampart_domain::authz::Actor;
use rampart_domain::clients::{self, ClientInput};
use rampart_domain::{contract_test, Db, DomainError};

fn cli() -> Actor {
    Actor::command_line()
}

fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; a time compared after a round trip must not have more.
    chrono::SubsecRound::trunc_subsecs(Utc::now(), 6)
}

async fn client(db: &Db, slug: &str, name: &str) {
    let input =
        ClientInput { name: name.into(), slug: slug.into(), impact_tier: "standard".into(), ..Default::default() };
    clients::create_client(db, &cli(), &input, chrono::Utc::now()).await.unwrap();
}

use rampart_domain::testing::user;

/// Technicians, and grants of every state.
async fn counts(db: &Db) -> (usize, usize) {
    let technicians = access::list_technicians(db, &cli()).await.unwrap();
    let mut grants = 0;
    for t in &technicians {
        grants += access::get_technician(db, &cli(), t.id).await.unwrap().1.len();
    }
    (technicians.len(), grants)
}

/// Acme and Globex, a manager, Sam (active, with RMM at Acme) and Lee (active, holding nothing).
async fn register(db: &Db) -> Actor {
    client(db, "acme", "Acme Ltd").await;
    client(db, "globex", "Globex Corporation").await;
    let manager = user(db, "manager@msp.example", "manager", &[]).await;
    let seed = "technician_email,technician_name,technician_title,started_on,client,system,privilege,mfa,approver,justification\n\
                sam@msp.example,Sam Ortiz,Engineer,2025-01-06,acme,rmm,standard,yes,Grace Hopper,Daily patching and monitoring\n\
                lee@msp.example,Lee Okafor,Engineer,2025-01-06,,,,,,\n";
    csv_io::commit_import(db, &cli(), seed, now()).await.unwrap();
    manager
}

async fn technician_id(db: &Db, email: &str) -> i64 {
    access::list_technicians(db, &cli()).await.unwrap().into_iter().find(|t| t.email == email).unwrap().id
}

const HEADER: &str = "technician_email,technician_name,technician_title,started_on,client,system,system_name,privilege,mfa,granted_on,expires_on,approver,justification,last_reviewed_on";

const GOOD: &str = "\
technician_email,technician_name,technician_title,started_on,client,system,system_name,privilege,mfa,granted_on,expires_on,approver,justification,last_reviewed_on
ada@msp.example,Ada Lovelace,Network engineer,,acme,firewall_vpn,,admin,yes,2025-03-10,,Grace Hopper,Manages the office firewall,2025-09-01
ada@msp.example,Ada Lovelace,Network engineer,,Globex Corporation,RMM,,Standard,no,2025-02-01,,Grace Hopper,Monitoring and patching,
sam@msp.example,Samuel Ortiz,,,acme,other,Door access system,read,yes,2025-05-05,2030-01-01,Grace Hopper,Checks the door logs for audits,
kim@msp.example,Kim Park,Service desk,2024-06-03,,,,,,,,,,
";

fn errors_of(preview: &ImportPreview, line: u64) -> Vec<(String, String)> {
    let row = preview.rows.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no row at line {line}"));
    row.errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect()
}

contract_test!(a_good_file_previews_without_writing_then_commits_all_of_it, |db| {
    let manager = register(&db).await;
    let before = counts(&db).await;
    let preview = csv_io::preview_import(&db, &manager, GOOD, now()).await.unwrap();
    assert!(preview.file_errors.is_empty() && preview.rows_with_errors() == 0, "{preview:#?}");
    assert_eq!((preview.new_technicians, preview.new_grants), (2, 3));
    let actions: Vec<RowAction> = preview.rows.iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        vec![RowAction::NewTechnicianAndGrant, RowAction::NewGrant, RowAction::NewGrant, RowAction::NewTechnician]
    );
    assert_eq!(preview.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4, 5]);
    assert_eq!(preview.rows[1].client, "Globex Corporation");
    assert_eq!((preview.rows[1].system.as_str(), preview.rows[1].privilege.as_str()), ("RMM", "standard"));
    assert_eq!(preview.rows[2].system, "Door access system");
    assert!(
        preview.rows[2].notes.iter().any(|n| n.contains("Known in Rampart as “Sam Ortiz”")),
        "a name differing is a note"
    );
    assert!(preview.can_commit());
    assert_eq!(counts(&db).await, before, "a preview writes nothing");

    let summary = csv_io::commit_import(&db, &manager, GOOD, now()).await.unwrap();
    assert_eq!((summary.technicians_created, summary.grants_created), (2, 3));
    assert_eq!(counts(&db).await, (before.0 + 2, before.1 + 3));

    let technicians = access::list_technicians(&db, &manager).await.unwrap();
    let ada = technicians.iter().find(|t| t.email == "ada@msp.example").unwrap();
    assert_eq!((ada.name.as_str(), ada.title.as_str()), ("Ada Lovelace", "Network engineer"));
    assert_eq!(ada.state, access::TechnicianState::Active, "imported technicians predate Rampart: active");
    assert_eq!(ada.started_at.format("%Y-%m-%d").to_string(), "2025-02-01", "started on the earliest grant");
    let kim = technicians.iter().find(|t| t.email == "kim@msp.example").unwrap();
    assert_eq!(kim.started_at.format("%Y-%m-%d").to_string(), "2024-06-03");
    let sam = technicians.iter().find(|t| t.email == "sam@msp.example").unwrap();
    assert_eq!(sam.name, "Sam Ortiz", "the name in Rampart is kept");

    let (_, grants) = access::get_technician(&db, &manager, ada.id).await.unwrap();
    let firewall = grants.iter().find(|g| g.system == "firewall_vpn").unwrap();
    assert_eq!((firewall.client_slug.as_str(), firewall.privilege, firewall.mfa), ("acme", Privilege::Admin, true));
    assert_eq!(firewall.approver, "Grace Hopper", "the approver is the file's");
    assert_eq!(firewall.granted_at.format("%Y-%m-%d").to_string(), "2025-03-10");
    assert_eq!(firewall.last_reviewed_by.as_deref(), Some("Grace Hopper"));
    assert_eq!(firewall.last_reviewed_at.map(|t| t.format("%Y-%m-%d").to_string()).as_deref(), Some("2025-09-01"));
    let rmm = grants.iter().find(|g| g.system == "rmm").unwrap();
    assert_eq!((rmm.client_slug.as_str(), rmm.mfa, rmm.last_reviewed_at), ("globex", false, None));
    let (_, sams) = access::get_technician(&db, &manager, sam.id).await.unwrap();
    let door = sams.iter().find(|g| g.system == "other").unwrap();
    assert_eq!(door.system_name, "Door access system");
    assert_eq!(door.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).as_deref(), Some("2030-01-01"));

    let again = csv_io::preview_import(&db, &manager, GOOD, now()).await.unwrap();
    assert_eq!(again.rows_with_errors(), 3, "every grant is now a duplicate: {again:#?}");
    assert_eq!(again.rows[3].action, RowAction::NothingNew);
});

contract_test!(each_bad_input_is_a_clear_row_error_and_nothing_is_written, |db| {
    let manager = register(&db).await;
    let lee = technician_id(&db, "lee@msp.example").await;
    access::start_offboarding(&db, &cli(), lee, 1, &access::OffboardingInput::default(), now()).await.unwrap();
    // A technician onboarding in Rampart meets the checklist's gates, as in the form.
    let new = NewTechnician {
        name: "Nia Onboarding".into(),
        email: "nia@msp.example".into(),
        title: String::new(),
        started_on: "2026-01-05".into(),
    };
    access::create_technician(&db, &cli(), &new, now()).await.unwrap();
    let good = "ada@msp.example,Ada Lovelace,,,acme,edr,,read,yes,2025-01-10,,Grace Hopper,Investigates alerts,";
    let cases: &[(&str, &str, &str)] = &[
        (
            "ada@msp.example,Ada Lovelace,,,initech,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "client",
            "Unknown client “initech”",
        ),
        (
            "ada@msp.example,Ada Lovelace,,,Acme Limited,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "client",
            "Unknown client “Acme Limited”",
        ),
        (
            "sam@msp.example,Sam Ortiz,,,acme,RMM,,read,yes,,,Grace Hopper,Investigates alerts,",
            "system",
            "already holds active access",
        ),
        (
            "ada@msp.example,Ada Lovelace,,,acme,edr,,admin,yes,,,Grace Hopper,Investigates alerts again,",
            "system",
            "Line 2 already grants",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,,,BOB@msp.example,Investigates alerts,",
            "approver",
            "Nobody approves their own access",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,,,bob stone,Investigates alerts,",
            "approver",
            "Nobody approves their own access",
        ),
        (
            "sam@msp.example,Sam,,,globex,edr,,read,yes,,,Sam Ortiz,Investigates alerts,",
            "approver",
            "Nobody approves their own access",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,2025-06-01,2025-05-01,Grace Hopper,Investigates alerts,",
            "expires_on",
            "The expiry must come after the grant.",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,01/06/2025,,Grace Hopper,Investigates alerts,",
            "granted_on",
            "YYYY-MM-DD",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,,2026-02-30,Grace Hopper,Investigates alerts,",
            "expires_on",
            "YYYY-MM-DD",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,2025-06-01,,Grace Hopper,Investigates alerts,2025-05-01",
            "last_reviewed_on",
            "before the grant",
        ),
        (
            "lee@msp.example,Lee Okafor,,,acme,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "technician_email",
            "leaving or has left",
        ),
        (
            "manager@msp.example,Morgan,,,acme,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "technician_email",
            "your own access",
        ),
        (
            "nia@msp.example,Nia Onboarding,,,acme,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "privilege",
            "(ON-01) come before any access",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,spreadsheet,,read,yes,,,Grace Hopper,Investigates alerts,",
            "system",
            "Unknown system “spreadsheet”",
        ),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,superuser,yes,,,Grace Hopper,Investigates alerts,",
            "privilege",
            "Unknown privilege “superuser”",
        ),
        ("bob@msp.example,Bob Stone,,,acme,edr,,read,yes,,,,Investigates alerts,", "approver", "Name who approved"),
        (
            "bob@msp.example,Bob Stone,,,acme,edr,,read,yes,,,Grace Hopper,Because,",
            "justification",
            "10 to 1000 characters",
        ),
        (
            "bob@msp.example,,,,acme,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "technician_name",
            "Unknown technician bob@msp.example: give their name",
        ),
        (
            "sam@msp.example,,,,globex,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "technician_name",
            "Enter the technician's name",
        ),
        (
            "bob.msp.example,Bob Stone,,,acme,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "technician_email",
            "like name@example.com",
        ),
        (
            "ada@msp.example,Ada King,,,globex,edr,,read,yes,,,Grace Hopper,Investigates alerts,",
            "technician_name",
            "Line 2 names this technician “Ada Lovelace”",
        ),
    ];
    let before = counts(&db).await;
    for (bad, field, message) in cases {
        let text = format!("{HEADER}\n{good}\n{bad}\n");
        let preview = csv_io::preview_import(&db, &manager, &text, now()).await.unwrap();
        assert!(errors_of(&preview, 2).is_empty(), "the good row stays good: {bad}");
        let errors = errors_of(&preview, 3);
        assert!(
            errors.iter().any(|(f, m)| f == field && m.contains(message)),
            "{bad}\nexpected {field}: {message}\ngot {errors:?}"
        );
        assert_eq!(preview.rows[1].action, RowAction::Refused);
        assert!(!preview.can_commit());
        let refused = csv_io::commit_import(&db, &manager, &text, now()).await;
        assert!(
            matches!(&refused, Err(DomainError::Validation(e))
                if e[0].field == "file" && e[0].message == "The file has 1 row with errors; preview it to see it."),
            "{bad}: {refused:?}"
        );
        assert_eq!(counts(&db).await, before, "nothing written for {bad}");
    }
    // Two wrong rows are counted as such.
    let text = format!("{HEADER}\n{good}\n{}\n{}\n", cases[0].0, cases[2].0);
    let refused = csv_io::commit_import(&db, &manager, &text, now()).await;
    assert!(
        matches!(&refused, Err(DomainError::Validation(e)) if e[0].message.starts_with("The file has 2 rows with errors"))
    );
    assert_eq!(counts(&db).await, before);
});

contract_test!(wrong_headers_bad_encoding_and_empty_files_are_file_errors, |db| {
    let manager = register(&db).await;
    let before = counts(&db).await;
    for (text, expected) in [
        (
            "Mail,Person,Company,Tool\nada@msp.example,Ada,acme,rmm\n",
            "Missing columns: technician_email, technician_name",
        ),
        (
            "technician_email,technician_name,client,system\nada@msp.example,Ada,acme,rmm\n",
            "Missing columns: privilege, approver, justification",
        ),
        ("", "The file is empty"),
        (HEADER, "no rows"),
    ] {
        let preview = csv_io::preview_import(&db, &manager, text, now()).await.unwrap();
        assert!(preview.file_errors.iter().any(|e| e.contains(expected)), "{text}: {:?}", preview.file_errors);
        assert!(preview.rows.is_empty());
        let refused = csv_io::commit_import(&db, &manager, text, now()).await;
        assert!(
            matches!(&refused, Err(DomainError::Validation(e)) if e.iter().all(|e| e.field == "file") && e[0].message.contains(expected)),
            "{refused:?}"
        );
    }
    let huge = format!("{HEADER}\n{}", "x".repeat(csv_io::MAX_IMPORT_BYTES));
    let preview = csv_io::preview_import(&db, &manager, &huge, now()).await.unwrap();
    assert!(preview.file_errors[0].contains("larger than 1 MB"));
    assert_eq!(counts(&db).await, before);
});

contract_test!(headers_and_values_as_psa_and_rmm_tools_write_them_are_understood, |db| {
    let manager = register(&db).await;
    let text = "\u{feff}E-mail,Display Name,Company,Tool,Access Level,2FA,Approved By,Reason,Ticket\r\n\
                ada@msp.example,Ada Lovelace,Acme Ltd,Password vault,Administrator,Enabled,Grace Hopper,Vault for the audit,T-1\r\n\
                bob@msp.example,Bob Stone,globex,Microsoft 365 / GDAP,Read only,0,Grace Hopper,Reads the tenant's reports,T-2\r\n";
    let preview = csv_io::preview_import(&db, &manager, text, now()).await.unwrap();
    assert!(preview.file_errors.is_empty() && preview.rows_with_errors() == 0, "{preview:#?}");
    assert_eq!(preview.ignored_columns, vec!["Ticket".to_string()]);
    csv_io::commit_import(&db, &manager, text, now()).await.unwrap();
    let technicians = access::list_technicians(&db, &manager).await.unwrap();
    for (email, slug, system, privilege, mfa) in [
        ("ada@msp.example", "acme", "password_vault", Privilege::Admin, true),
        ("bob@msp.example", "globex", "m365_gdap", Privilege::Read, false),
    ] {
        let t = technicians.iter().find(|t| t.email == email).unwrap();
        let (_, grants) = access::get_technician(&db, &manager, t.id).await.unwrap();
        assert_eq!(grants.len(), 1);
        let g = &grants[0];
        assert_eq!((g.client_slug.as_str(), g.system.as_str(), g.privilege, g.mfa), (slug, system, privilege, mfa));
        assert_eq!(g.granted_at.date_naive(), Utc::now().date_naive(), "no grant date: today");
    }
});

contract_test!(only_those_who_manage_technicians_and_access_import, |db| {
    register(&db).await;
    let technician = user(&db, "t@msp.example", "technician", &["acme"]).await;
    let auditor = user(&db, "a@msp.example", "auditor", &[]).await;
    let viewer = user(&db, "v@msp.example", "client_viewer", &["acme"]).await;
    let admin = user(&db, "admin@msp.example", "admin", &[]).await;
    let before = counts(&db).await;
    for actor in [&technician, &auditor, &viewer] {
        assert!(matches!(csv_io::preview_import(&db, actor, GOOD, now()).await, Err(DomainError::Forbidden)));
        assert!(matches!(csv_io::commit_import(&db, actor, GOOD, now()).await, Err(DomainError::Forbidden)));
        assert!(matches!(csv_io::may_import(actor), Err(DomainError::Forbidden)));
    }
    assert_eq!(counts(&db).await, before);
    // Unknown and foreign clients read alike: the message names only what was written.
    let text =
        format!("{HEADER}\nada@msp.example,Ada,,,no-such-client,edr,,read,yes,,,Grace Hopper,Investigates alerts,\n");
    let preview = csv_io::preview_import(&db, &admin, &text, now()).await.unwrap();
    assert_eq!(
        errors_of(&preview, 2),
        vec![(
            "client".to_string(),
            "Unknown client “no-such-client”: use the slug or the exact name of a client.".to_string()
        )]
    );
    assert!(csv_io::commit_import(&db, &admin, GOOD, now()).await.is_ok(), "admins import");
});

contract_test!(a_file_with_one_bad_row_among_many_writes_nothing, |db| {
    let manager = register(&db).await;
    let mut text = format!("{HEADER}\n");
    for i in 0..300 {
        text.push_str(&format!(
            "tech{i}@msp.example,Technician {i},,,acme,edr,,read,yes,2025-01-01,,Grace Hopper,Investigates alerts,\n"
        ));
    }
    text.push_str("tech0@msp.example,Technician 0,,,globex,edr,,read,yes,2025-01-01,2024-01-01,Grace Hopper,Investigates alerts,\n");
    let before = counts(&db).await;
    let preview = csv_io::preview_import(&db, &manager, &text, now()).await.unwrap();
    assert_eq!((preview.rows.len(), preview.rows_with_errors(), preview.new_technicians), (301, 1, 300));
    assert!(matches!(csv_io::commit_import(&db, &manager, &text, now()).await, Err(DomainError::Validation(_))));
    assert_eq!(counts(&db).await, before, "all or nothing: nothing");

    // Someone grants the same access between preview and commit: the commit checks again.
    let good = format!("{HEADER}\n{}", GOOD.lines().skip(1).collect::<Vec<_>>().join("\n"));
    assert!(csv_io::preview_import(&db, &manager, &good, now()).await.unwrap().can_commit());
    let door = NewGrant {
        technician_id: technician_id(&db, "sam@msp.example").await,
        client_slug: "acme".into(),
        system: "other".into(),
        system_name: "door access SYSTEM".into(),
        privilege: "read".into(),
        justification: "Granted meanwhile in the form".into(),
        mfa: true,
        ..Default::default()
    };
    access::grant_access(&db, &cli(), &door, now()).await.unwrap();
    let before = counts(&db).await;
    assert!(matches!(csv_io::commit_import(&db, &manager, &good, now()).await, Err(DomainError::Validation(_))));
    assert_eq!(counts(&db).await, before);
});

/// The rows of a CSV text: header, then records.
fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let mut records = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>());
    let header = records.next().unwrap();
    (header, records.collect())
}

contract_test!(the_export_shows_what_one_may_see_neutralised_and_re_imports, |db| {
    client(&db, "own", "Own Ltd").await;
    client(&db, "foreign", "Foreign Canary Ltd").await;
    let manager = user(&db, "manager@msp.example", "manager", &[]).await;
    let technician = user(&db, "t@msp.example", "technician", &["own"]).await;
    let viewer = user(&db, "v@msp.example", "client_viewer", &["own"]).await;
    let text = format!(
        "{HEADER}\n\
         ada@msp.example,Ada Lovelace,=Engineer,2024-01-08,own,rmm,,admin,no,2025-02-03,2031-02-03,Grace Hopper,\"=HYPERLINK(\"\"http://x.example\"\")\",2025-08-01\n\
         ada@msp.example,Ada Lovelace,=Engineer,2024-01-08,foreign,psa,,standard,yes,2025-02-03,,Grace Hopper,@SUM(1+1) tickets for the client,\n\
         bob@msp.example,Bob Stone,,2024-03-04,own,other,+Door system,read,yes,2025-04-05,,-Grace Hopper,Checks door logs for audits,\n\
         kim@msp.example,Kim Park,Service desk,2024-06-03,,,,,,,,,,\n"
    );
    let summary = csv_io::commit_import(&db, &manager, &text, now()).await.unwrap();
    assert_eq!((summary.technicians_created, summary.grants_created), (3, 3));
    let (_, bobs) = access::get_technician(&db, &cli(), technician_id(&db, "bob@msp.example").await).await.unwrap();
    access::review_grant(&db, &manager, bobs[0].id, now()).await.unwrap();

    let export = csv_io::export_register(&db, &manager, now()).await.unwrap();
    let (header, rows) = parse(&export);
    let expected_header: Vec<&str> =
        csv_io::IMPORT_COLUMNS.iter().chain(csv_io::EXPORT_EXTRA_COLUMNS.iter()).copied().collect();
    assert_eq!(header, expected_header);
    assert_eq!(rows.len(), 4, "three grants and Kim, who holds none");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert!(rows.iter().any(|r| r[col("client")] == "foreign"), "a manager sees every client");
    let ada_rmm = rows.iter().find(|r| r[col("system")] == "rmm").unwrap();
    assert_eq!(ada_rmm[col("justification")], "'=HYPERLINK(\"http://x.example\")", "formulas are neutralised");
    assert_eq!(ada_rmm[col("technician_title")], "'=Engineer");
    assert!(ada_rmm[col("findings")].contains("Admin access without MFA"), "{}", ada_rmm[col("findings")]);
    assert_eq!((ada_rmm[col("mfa")].as_str(), ada_rmm[col("state")].as_str()), ("no", "active"));
    let bob_door = rows.iter().find(|r| r[col("system")] == "other").unwrap();
    assert_eq!(
        (bob_door[col("system_name")].as_str(), bob_door[col("approver")].as_str()),
        ("'+Door system", "'-Grace Hopper")
    );
    assert_eq!(bob_door[col("last_reviewed_by")], "manager user");
    let foreign_psa = rows.iter().find(|r| r[col("system")] == "psa").unwrap();
    assert_eq!(foreign_psa[col("justification")], "'@SUM(1+1) tickets for the client");
    let kim_row = rows.iter().find(|r| r[col("technician_email")] == "kim@msp.example").unwrap();
    assert!(kim_row[col("client")].is_empty() && kim_row[col("grant_id")].is_empty());
    for row in &rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?} is not neutralised");
        }
    }

    let limited = csv_io::export_register(&db, &technician, now()).await.unwrap();
    assert!(!limited.contains("foreign") && !limited.contains("Canary"), "{limited}");
    assert!(limited.contains(",own,"), "a technician sees their own clients' grants");
    assert!(matches!(csv_io::export_register(&db, &viewer, now()).await, Err(DomainError::Forbidden)));

    // A revoked grant is exported as such, and skipped on import.
    let foreign_id: i64 = foreign_psa[col("grant_id")].parse().unwrap();
    let revocation = access::RevocationInput {
        removed_at: String::new(),
        method: access::REVOCATION_METHODS[0].0.into(),
        evidence: "PSA user list checked".into(),
    };
    access::revoke_grant(&db, &manager, foreign_id, &revocation, now()).await.unwrap();
    let export = csv_io::export_register(&db, &manager, now()).await.unwrap();
    let (_, rows) = parse(&export);
    let row = rows.iter().find(|r| r[col("grant_id")] == foreign_id.to_string()).unwrap();
    assert_eq!(row[col("state")], "revoked");
    assert!(!row[col("revoked_at")].is_empty() && !row[col("revoked_by")].is_empty());

    // The export re-imports into another register with the same clients, and exports alike.
    let other = rampart_domain::testing::sqlite().await;
    client(&other.db, "own", "Own Ltd").await;
    client(&other.db, "foreign", "Foreign Canary Ltd").await;
    let imported = csv_io::preview_import(&other.db, &cli(), &export, now()).await.unwrap();
    assert!(imported.can_commit(), "{imported:#?}");
    let skipped: Vec<u64> = imported.rows.iter().filter(|r| r.action == RowAction::Skipped).map(|r| r.line).collect();
    assert_eq!(skipped.len(), 1, "the revoked grant");
    assert_eq!(imported.ignored_columns, vec!["grant_id", "state", "revoked_by", "findings"]);
    csv_io::commit_import(&other.db, &cli(), &export, now()).await.unwrap();
    let again = csv_io::export_register(&other.db, &cli(), now()).await.unwrap();
    let comparable = |text: &str| -> Vec<Vec<String>> {
        let (header, rows) = parse(text);
        let keep: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| csv_io::IMPORT_COLUMNS.contains(&h.as_str()) || h.as_str() == "last_reviewed_by")
            .map(|(i, _)| i)
            .collect();
        rows.iter()
            .filter(|r| r[col("revoked_at")].is_empty())
            .map(|r| keep.iter().map(|i| r[*i].clone()).collect())
            .collect()
    };
    assert_eq!(comparable(&again), comparable(&export));
    other.cleanup().await;
});

contract_test!(the_example_file_imports_into_the_demo_data, |db| {
    rampart_domain::demo::fill(&db, rampart_domain::demo::DemoSize::Small, 1).await.unwrap();
    let example = include_str!("../../../docs/examples/access-import.csv");
    let preview = csv_io::preview_import(&db, &cli(), example, now()).await.unwrap();
    assert!(preview.can_commit(), "{preview:#?}");
    assert!(preview.rows.iter().any(|r| r.action == RowAction::NewGrant), "a known technician gets a grant");
    let summary = csv_io::commit_import(&db, &cli(), example, now()).await.unwrap();
    assert_eq!((summary.technicians_created, summary.grants_created), (preview.new_technicians, preview.new_grants));
});
