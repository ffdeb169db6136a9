//! Applied migrations never change (L6): a store or server database migrated by an earlier
//! build would refuse to open ("migration N was previously applied but has been modified").
//! `migrations/applied.sha256` lists every committed migration with its hash.

use sha2::{Digest, Sha256};

fn migrations() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

#[test]
fn no_applied_migration_has_changed_and_every_migration_is_listed() {
    let listed = std::fs::read_to_string(migrations().join("applied.sha256")).expect("applied.sha256");
    let mut seen = Vec::new();
    for line in listed.lines().filter(|l| !l.trim().is_empty()) {
        let (hash, path) = line.split_once("  ").expect("`<sha256>  <path>` lines");
        let text = std::fs::read(migrations().join(path)).unwrap_or_else(|_| panic!("{path} was removed"));
        assert_eq!(
            hex::encode(Sha256::digest(&text)),
            hash,
            "{path} changed after it was committed: add a new migration instead"
        );
        seen.push(path.to_owned());
    }
    for folder in ["client", "server-sqlite", "server-postgres"] {
        for entry in std::fs::read_dir(migrations().join(folder)).expect("folder") {
            let name = format!("{folder}/{}", entry.expect("entry").file_name().to_string_lossy());
            assert!(
                seen.contains(&name),
                "{name} is not in migrations/applied.sha256: add `sha256sum` of it there when you commit it"
            );
        }
    }
}
