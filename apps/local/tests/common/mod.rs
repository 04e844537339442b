//! What the binary tests share: the `bookworm-local` command, run from the repository root with
//! none of the settings a developer's shell may export.

// Each test file uses its own part of this.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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
        .env_remove("PUSH_BACKEND")
        // Keywords only unless a test asks: embedding the seed costs seconds per new folder.
        .env_remove("BOOKWORM_MODEL_DIR");
    command
}

/// The address `serve`'s banner names after `http://`, if its first line has one.
pub fn banner_address(first_line: &str) -> Option<&str> {
    first_line.split("http://").nth(1).and_then(|rest| rest.split_whitespace().next())
}

/// Starts `serve` on a free port and returns the child and the address it printed.
pub fn serve(data_dir: &std::path::Path) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = local()
        .args(["serve", "--port", "0"])
        .env("DATA_DIR", data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bookworm-local");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("banner");
    let address = banner_address(&first).unwrap_or_else(|| panic!("no address in {first:?}")).to_owned();
    (child, address, stdout)
}

/// One request on its own connection; the whole response as text.
pub fn http_send(address: &str, method: &str, path: &str, token: Option<&str>, body: &str) -> String {
    try_http_send(address, method, path, token, body, &[]).expect("an answer")
}

/// The same, with `headers` (`Name: value`), as an error when the connection fails.
pub fn try_http_send(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
    headers: &[&str],
) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    let headers: String = headers.iter().map(|header| format!("{header}\r\n")).collect();
    let authorization = token.map(|token| format!("Authorization: Bearer {token}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{authorization}{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}
