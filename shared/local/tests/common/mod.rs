//! What the binary tests share: the `bookworm-local` command, run from the repository root with
//! none of the settings a developer's shell may export.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn local() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bookworm-local"));
    command
        .current_dir(repo())
        .env_remove("PORT")
        .env_remove("HOST")
        .env_remove("DATA_DIR")
        .env_remove("PUSH_BACKEND");
    command
}

/// The address `serve`'s banner names after `http://`, if its first line has one.
pub fn banner_address(first_line: &str) -> Option<&str> {
    first_line.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next())
}
