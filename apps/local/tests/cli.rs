//! The real `bookworm-local` binary: it serves, stops cleanly on SIGTERM, keeps its data
//! across restarts, and `invoke` runs a function on an event file.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

mod common;

use common::{http_send, local, serve};

fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let result = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    result.unwrap_or_else(|e| panic!("GET {path}: {e} after {text:?}"));
    text
}

fn stop(mut child: Child) -> (std::process::ExitStatus, String) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            return (status, stderr);
        }
        assert!(Instant::now() < deadline, "bookworm-local did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serves_stops_on_sigterm_and_keeps_its_data() {
    let data = tempfile::tempdir().unwrap();
    let (child, address, mut stdout) = serve(data.path());
    let health = http_get(&address, "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let book = http_get(&address, "/books?limit=1");
    assert!(book.contains("\"next_cursor\""), "{book}");
    let (status, stderr) = stop(child);
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(stderr.contains("seeded the catalog"), "first start seeds: {stderr}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");

    let (child, address, _stdout) = serve(data.path());
    assert!(http_get(&address, "/books?limit=1").starts_with("HTTP/1.1 200"));
    let (status, stderr) = stop(child);
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(!stderr.contains("seeded the catalog"), "a restart keeps the data: {stderr}");
}

#[test]
fn invoke_runs_a_function_on_an_event_file() {
    let data = tempfile::tempdir().unwrap();
    let output = local()
        .args(["invoke", "catalog-books", "--event", "events/catalog-books/get-book.json"])
        .env("DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let response: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["statusCode"], 200);
    let book: serde_json::Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(book["name"], "Emma");

    let unknown = local()
        .args(["invoke", "no-such-function", "--event", "events/catalog-books/get-book.json"])
        .env("DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-function"));
}

#[test]
fn invoke_sends_the_event_to_the_stack_that_holds_the_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let invoke = |function: &str, event: &str| {
        local().args(["invoke", function, "--event", event]).env("DATA_DIR", data.path()).output().unwrap()
    };
    let (child, address, _stdout) = serve(data.path());
    assert!(data.path().join("stack.json").exists(), "serve records where it answers");
    let created = invoke("catalog-admin", "events/catalog-admin/create-author.json");
    let unknown = invoke("no-such-function", "events/catalog-admin/create-author.json");
    let authors = http_get(&address, "/authors");
    let (status, stderr) = stop(child);
    assert!(status.success(), "{stderr}");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let response: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(response["statusCode"], 201);
    assert!(authors.contains("Charles Darwin"), "the author was created in the serving stack: {authors}");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no function named `no-such-function`"));

    assert!(!data.path().join("stack.json").exists(), "removed when the stack stops");
    let again = invoke("catalog-lookups", "events/catalog-lookups/list-authors.json");
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stdout).contains("Charles Darwin"), "kept in the folder");
}

#[test]
fn listen_prints_what_the_websocket_api_sends() {
    let data = tempfile::tempdir().unwrap();
    let shop = "123e4567-e89b-42d3-a456-426614174000";
    let minted =
        local().args(["token", "--role", "merchant", "--shop", shop]).env("DATA_DIR", data.path()).output();
    let token = String::from_utf8(minted.unwrap().stdout).unwrap();
    let (child, address, _stdout) = serve(data.path());
    let url = |token: &str| format!("ws://{address}/ws?shop_id={shop}&token={}", token.trim());
    let listen = |url: String| {
        let args = ["--send", r#"{"action":"ping"}"#, "--count", "1", "--timeout", "10"];
        local().arg("listen").arg(url).args(args).output().unwrap()
    };
    let (answered, refused) = (listen(url(&token)), listen(url("not-a-token")));
    let (status, stderr) = stop(child);
    assert!(status.success(), "{stderr}");
    assert!(answered.status.success(), "{}", String::from_utf8_lossy(&answered.stderr));
    assert_eq!(String::from_utf8_lossy(&answered.stdout), "{\"type\":\"pong\"}\n");
    let refusal = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && refusal.contains("403"), "{refusal}");
    assert!(!refusal.contains("not-a-token"), "errors do not print the token: {refusal}");
}

#[test]
fn seed_loads_a_synthetic_catalog_that_serve_then_uses() {
    let data = tempfile::tempdir().unwrap();
    let seeded = local().args(["seed", "--synthetic", "500"]).env("DATA_DIR", data.path()).output().unwrap();
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("seeded 500 books"));

    let (child, address, _stdout) = serve(data.path());
    let page = http_get(&address, "/books?q=silent&limit=100");
    let (status, stderr) = stop(child);
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(!stderr.contains("seeded the catalog"), "a seeded folder is not reseeded: {stderr}");
    assert!(page.contains("The Silent"), "{page}");
    assert!(!page.contains("Emma"), "{page}");
}

#[test]
fn a_token_from_the_token_command_lets_an_admin_create_a_book() {
    let data = tempfile::tempdir().unwrap();
    let minted = local().args(["token", "--role", "admin"]).env("DATA_DIR", data.path()).output().unwrap();
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    let stdout = String::from_utf8(minted.stdout).unwrap();
    let token = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1, "only the token on stdout: {stdout:?}");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let (child, address, _stdout) = serve(data.path());
    let categories = http_get(&address, "/categories");
    let category = categories.split("\"id\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let authors = http_get(&address, "/authors");
    let author = authors.split("\"id\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let publishers = http_get(&address, "/publishers");
    let publisher = publishers.split("\"id\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let body = format!(
        r#"{{"name":"Walden","price":"9.99","author_ids":["{author}"],"category_id":"{category}","publisher_id":"{publisher}"}}"#
    );
    let created = http_send(&address, "POST", "/books", Some(token), &body);
    let forbidden = {
        let customer =
            local().args(["token", "--role", "customer"]).env("DATA_DIR", data.path()).output().unwrap();
        http_send(&address, "POST", "/books", Some(String::from_utf8(customer.stdout).unwrap().trim()), &body)
    };
    let anonymous = http_send(&address, "POST", "/books", None, &body);
    let (status, stderr) = stop(child);
    assert!(status.success(), "{stderr}");
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    assert!(forbidden.starts_with("HTTP/1.1 403"), "{forbidden}");
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
}

#[test]
fn the_token_command_mints_one_user_per_line_for_load_tests() {
    let data = tempfile::tempdir().unwrap();
    let minted = local().args(["token", "--count", "3"]).env("DATA_DIR", data.path()).output().unwrap();
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    let subjects: Vec<String> = String::from_utf8(minted.stdout)
        .unwrap()
        .lines()
        .map(|token| {
            let claims = token.split('.').nth(1).unwrap();
            let claims =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap();
            let claims: serde_json::Value = serde_json::from_slice(&claims).unwrap();
            claims["sub"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(subjects.len(), 3);
    assert_eq!(subjects[0], "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "the first is --sub's");
    assert!(subjects[1] != subjects[0] && subjects[2] != subjects[1] && subjects[2] != subjects[0]);

    let refused = local().args(["token", "--count", "0"]).env("DATA_DIR", data.path()).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--count"));
}
